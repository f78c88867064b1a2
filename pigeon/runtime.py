"""The long-lived state of one Pigeon process: settings, store, clock, secrets, credentials."""

from __future__ import annotations

import secrets as random_secrets
from functools import cached_property
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from pigeon.clock import Clock
from pigeon.credentials import Credential, load_credentials
from pigeon.settings import Settings
from pigeon.store import accounts
from pigeon.store.engine import Store
from pigeon.store.schema import server_secrets


class Runtime:
    def __init__(self, settings: Settings, clock: Clock | None = None) -> None:
        self.settings = settings
        self.clock = clock or Clock()
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.store = Store(settings.resolved_database_url, settings.database_lock_timeout_seconds)
        self.credentials: dict[str, Credential] | None = (
            load_credentials(settings.credentials_file) if settings.credentials_file else None
        )
        self._secrets: dict[str, bytes] = {}
        self.group_commit: Any = None
        """The group commit of accepted messages (pigeon/messaging/group_commit.py), while the server runs."""
        self._known_accounts: set[str] = set()
        self.carriers: Any = None
        """This process's carrier connectors (pigeon/carriers/routing.Router), once its dispatcher is built."""

    def start(self) -> None:
        self.store.migrate()
        self.secret("pagination")  # read before any request transaction holds the write lock

    def close(self) -> None:
        self.store.dispose()

    @cached_property
    def secret_keys(self) -> dict[str, str]:
        return {key: credential.secret_access_key for key, credential in (self.credentials or {}).items()}

    def secret(self, name: str) -> bytes:
        """A server-wide random secret, created once and shared by every process through the store."""
        if name not in self._secrets:
            stored = sa.select(server_secrets.c.value).where(server_secrets.c.name == name)
            with self.store.transaction(write=True) as tx:
                value = tx.execute(stored).scalar_one_or_none()
                if value is None:  # processes started together may all get here: the first one's stays
                    dialect = postgresql if tx.dialect.name == "postgresql" else sqlite
                    tx.execute(dialect.insert(server_secrets).values(name=name, value=random_secrets.token_hex(32))
                               .on_conflict_do_nothing())
                    value = tx.execute(stored).scalar_one()
            self._secrets[name] = bytes.fromhex(value)
        return self._secrets[name]

    def account_tier(self, tx: sa.Connection, account_id: str) -> str:
        return accounts.tier(tx, account_id) or self.settings.default_account_tier

    def ensure_account(self, tx: sa.Connection, account_id: str) -> None:
        """Record an account the first time it writes, so it keeps the tier it started in."""
        if account_id in self._known_accounts:
            return
        if accounts.tier(tx, account_id) is None:
            accounts.record(tx, account_id, self.settings.default_account_tier, self.clock.now())
        self._known_accounts.add(account_id)
