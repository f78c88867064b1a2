"""The credentials file for strict SigV4: access key id, secret access key and account id per entry.

Format (YAML or JSON)::

    credentials:
      - access_key_id: AKIAEXAMPLE
        secret_access_key: wJalrXUtnFEMI/K7MDENG
        account_id: "111122223333"   # optional: else the 12-digit rule applies
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from pigeon.scope import account_for_access_key


@dataclass(frozen=True)
class Credential:
    access_key_id: str
    secret_access_key: str
    account_id: str


def load_credentials(path: Path) -> dict[str, Credential]:
    document = yaml.safe_load(path.read_text()) or {}
    entries = document.get("credentials", []) if isinstance(document, dict) else document
    table: dict[str, Credential] = {}
    for index, entry in enumerate(entries):
        try:
            key, secret = str(entry["access_key_id"]), str(entry["secret_access_key"])
        except (KeyError, TypeError) as error:
            raise ValueError(f"{path}: entry {index} needs access_key_id and secret_access_key") from error
        account = str(entry.get("account_id") or account_for_access_key(key))
        if len(account) != 12 or not account.isdigit():
            raise ValueError(f"{path}: entry {index} has an account_id that is not 12 digits")
        table[key] = Credential(key, secret, account)
    return table
