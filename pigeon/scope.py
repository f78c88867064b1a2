"""Scope: the account and region a request acts in; the first key of every stored row."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

DEFAULT_ACCOUNT_ID = "000000000000"
_ACCOUNT_KEY = re.compile(r"[0-9]{12}")


class Scope(NamedTuple):
    """Immutable and hashable; a NamedTuple because one is made per request."""

    account_id: str
    region: str


@lru_cache(maxsize=4096)
def account_for_access_key(access_key_id: str) -> str:
    """An access key id of exactly 12 digits is that account; any other key is the default account."""
    return access_key_id if _ACCOUNT_KEY.fullmatch(access_key_id) else DEFAULT_ACCOUNT_ID
