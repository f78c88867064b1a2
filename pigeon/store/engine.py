"""Engine creation, SQLite tuning, migrations and the one-transaction-per-request helper."""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any

import orjson
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Engine

from pigeon.scope import Scope
from pigeon.store.bulk import dumps
from pigeon.store.changes import CHANGED, beside_database, counter_for
from pigeon.store.database_file import DEFAULT_LOCK_TIMEOUT_SECONDS, DatabaseFile
from pigeon.store.read_cache import ADDED, GENERATION, ReadCache
from pigeon.store.write_lock import WriteLock, WriteLockTimeout

MIGRATIONS = Path(__file__).with_name("migrations")
log = logging.getLogger("pigeon.store")


def normalize_url(url: str) -> str:
    """Accept plain ``postgresql://`` URLs and use the psycopg 3 driver for them."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def create_engine(url: str, lock_timeout: float = DEFAULT_LOCK_TIMEOUT_SECONDS,
                  database_file: DatabaseFile | None = None) -> Engine:
    """An engine for ``url``; on SQLite a writer waits at most ``lock_timeout`` seconds for a lock another
    program holds, and every new connection is checked against ``database_file`` (pigeon/store/database_file.py)."""
    url = normalize_url(url)
    if url.startswith("sqlite"):
        engine = sa.create_engine(
            url, json_serializer=dumps, json_deserializer=orjson.loads, connect_args={"timeout": lock_timeout}
        )
        _tune_sqlite(engine, lock_timeout, database_file)
        return engine
    engine = sa.create_engine(url, json_serializer=dumps, json_deserializer=orjson.loads, pool_size=10)
    _ping_idle_connections(engine)
    return engine


PING_AFTER_IDLE_SECONDS = 1.0


def _ping_idle_connections(engine: Engine) -> None:
    """Check a pooled connection before use if it sat idle (the server may have closed it meanwhile).

    SQLAlchemy's ``pool_pre_ping`` pings on every checkout: a round trip per transaction, a fifth of a
    group commit's time under load. A connection returned less than a second ago is used as it is; one
    that fails its ping is replaced (the pool retries the checkout with a new connection).
    """

    @sa.event.listens_for(engine, "checkin")
    def on_checkin(_dbapi_connection, record):  # type: ignore[no-untyped-def]
        record.info["pigeon_idle_since"] = time.monotonic()

    @sa.event.listens_for(engine, "checkout")
    def on_checkout(dbapi_connection, record, _proxy):  # type: ignore[no-untyped-def]
        if not _alive_after_idle(dbapi_connection, record.info.get("pigeon_idle_since")):
            raise sa.exc.DisconnectionError()


def _alive_after_idle(dbapi_connection: Any, idle_since: float | None) -> bool:
    """False for a connection that sat idle past ``PING_AFTER_IDLE_SECONDS`` and fails a ping (one round
    trip, leaving no transaction open); a recently used one is taken as alive without a ping."""
    if idle_since is not None and time.monotonic() - idle_since < PING_AFTER_IDLE_SECONDS:
        return True
    try:
        cursor = dbapi_connection.cursor()
        cursor.execute("SELECT 1")
        cursor.close()
        dbapi_connection.rollback()  # end the transaction the driver began for the ping
    except Exception:  # noqa: BLE001 - whatever the driver raises, the connection is unusable
        return False
    return True


def _tune_sqlite(engine: Engine, lock_timeout: float, database_file: DatabaseFile | None) -> None:
    """WAL for concurrent readers, and explicit BEGIN (IMMEDIATE for writers) to avoid upgrade deadlocks."""

    @sa.event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        if database_file is not None:
            try:
                database_file.opened()  # before any PRAGMA writes to a file that is not Pigeon's
            except BaseException:
                dbapi_connection.close()
                raise
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={int(lock_timeout * 1000)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def on_begin(connection: Connection) -> None:
        mode = "IMMEDIATE" if connection.get_execution_options().get("pigeon_write") else "DEFERRED"
        connection.exec_driver_sql(f"BEGIN {mode}")


_LOCK_MIGRATIONS = sa.text("SELECT pg_advisory_xact_lock(7413061823954203649)")  # any constant of Pigeon's own


def migrate(engine: Engine, write_lock: AbstractContextManager[object] | None = None) -> None:
    """Bring the schema to the newest revision; a no-op (and cheap) when it already is.

    Processes started together migrate one at a time (SQLite: under ``write_lock`` and ``BEGIN IMMEDIATE``;
    PostgreSQL: under an advisory lock); the others then find the schema current."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    head = ScriptDirectory.from_config(config).get_current_head()
    with write_lock or nullcontext(), engine.connect() as connection:
        connection = connection.execution_options(pigeon_write=True)
        with connection.begin():
            if connection.dialect.name == "postgresql":
                connection.execute(_LOCK_MIGRATIONS)
            if MigrationContext.configure(connection).get_current_revision() == head:
                return
            config.attributes["connection"] = connection
            command.upgrade(config, "head")


_LOCK_SCOPE = sa.text("SELECT pg_advisory_xact_lock(:key)")


def scope_lock_key(scope: Scope) -> int:
    """The PostgreSQL advisory lock key (a signed 64-bit integer) of a scope's writers."""
    digest = hashlib.blake2b(f"{scope.account_id}/{scope.region}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class Store:
    """The database behind one Pigeon process."""

    def __init__(self, url: str, lock_timeout: float = DEFAULT_LOCK_TIMEOUT_SECONDS) -> None:
        self.url = normalize_url(url)
        self.is_sqlite = self.url.startswith("sqlite")
        path = beside_database(self.url, "")
        self.file = DatabaseFile(path, lock_timeout) if path is not None else None
        """The SQLite database file's watch (deleted or replaced, locked, full); None on PostgreSQL."""
        self.engine = create_engine(self.url, lock_timeout, self.file)
        self.changes = counter_for(self.url)
        self.cache = ReadCache(self.changes)
        self._write_lock: AbstractContextManager[object] = (
            WriteLock(beside_database(self.url, ".write-lock"), lock_timeout) if self.is_sqlite else nullcontext())
        """SQLite has one writer at a time: writers queue here (see pigeon/store/write_lock.py)."""

    def migrate(self) -> None:
        migrate(self.engine, self._write_lock)

    @contextmanager
    def transaction(self, write: bool = True, connection: Connection | None = None,
                    scope: Scope | None = None) -> Iterator[Connection]:
        """One transaction: committed when the block ends, rolled back when it raises; on ``connection`` (a
        connection its owner keeps between transactions) or on one from the pool.

        A write transaction given a ``scope`` (a request's) waits first for the other writers of that scope
        to commit: on SQLite every writer does anyway; on PostgreSQL it takes the scope's advisory lock, so
        that a request's checks (a name is free, a quota has room, a ClientToken is new) still hold at commit.

        A transaction that changed configuration bumps the change counter after its commit."""
        watch = self.file
        if watch is not None:
            watch.refuse_if_lost()
        try:
            connected = nullcontext(connection) if connection is not None else self.engine.connect()
            with self._write_lock if write else nullcontext(), connected as connection:
                if write:
                    connection = connection.execution_options(pigeon_write=True)
                    if watch is not None:
                        watch.wait_for_lock(connection)
                info = connection.info
                info.pop(CHANGED, None)
                info.pop(ADDED, None)
                info[GENERATION] = self.changes.current()
                with connection.begin():
                    if write and scope is not None and not self.is_sqlite:
                        connection.execute(_LOCK_SCOPE, {"key": scope_lock_key(scope)})
                    yield connection
                    if write and watch is not None:
                        watch.check_before_commit()  # no COMMIT into a file that is no longer at the path
                if info.pop(CHANGED, None):
                    self.changes.bump()
                for key, amount in info.pop(ADDED, ()):
                    self.cache.add(key, amount)
        except (sa.exc.DBAPIError, WriteLockTimeout) as error:
            unavailable = watch.unavailable(error, write) if watch is not None else None
            if unavailable is None:
                raise
            raise unavailable from error
        if watch is not None:
            watch.succeeded(write)

    def kept_connection(self) -> KeptConnection:
        """A connection for one thread to keep between its transactions (``transaction(connection=...)``)."""
        return KeptConnection(self.engine, check_idle=not self.is_sqlite)

    def dispose(self) -> None:
        self.engine.dispose()
        self.changes.close()
        if isinstance(self._write_lock, WriteLock):
            self._write_lock.close()


class KeptConnection:
    """A connection its owner keeps from transaction to transaction instead of checking one out of the pool
    each time (a checkout costs more than a short commit). Like the pool, it checks a connection that sat
    idle before handing it out (PostgreSQL), and replaces one that is dead or whose transaction failed."""

    def __init__(self, engine: Engine, check_idle: bool) -> None:
        self._engine = engine
        self._check_idle = check_idle
        self._connection: Connection | None = None
        self._used_at = 0.0

    def get(self) -> Connection:
        connection = self._connection
        if (connection is not None and self._check_idle
                and not _alive_after_idle(connection.connection.dbapi_connection, self._used_at)):
            connection.invalidate()
            self.release()
            connection = None
        if connection is None:
            connection = self._connection = self._engine.connect()
        self._used_at = time.monotonic()
        return connection

    def release(self) -> None:
        """Give the connection back to the pool; ``get`` takes a fresh one (call it after a failure)."""
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                connection.close()
            except Exception:  # noqa: BLE001 - a broken connection is discarded either way
                log.warning("closing a kept connection failed", exc_info=True)
