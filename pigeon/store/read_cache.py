"""The per-process cache of configuration reads: what admission reads on every send, without a query.

A value is stored with the change counter (pigeon/store/changes.py) as it was *before* the transaction it
was read in began, and served only while the counter still has that value: any committed configuration
change, by any process, makes every older entry a miss. Values are shared between requests and must be
treated as read-only. Entries may also carry a maximum age, for data that changes without a configuration
change (the spend booked this month).

Who may read through the cache is decided by the caller's transaction (``CacheSource``): a request whose
transaction has not begun loads a miss in a short read transaction of its own; a transaction that has
changed configuration itself never uses the cache (its reads must see its own writes).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from sqlalchemy.engine import Connection

from pigeon.store.changes import ChangeCounter

T = TypeVar("T")
GENERATION = "pigeon_generation"
"""Connection.info key: the change counter read just before the transaction began."""
ADDED = "pigeon_cache_additions"
"""Connection.info key: amounts to add to cached counters when the transaction commits (``add_after_commit``)."""


class CacheSource(Protocol):
    """A transaction that can read through the cache (the request's LazyTransaction)."""

    def cache_for(self, kind: str) -> ReadCache | None:
        """The cache, if reads of ``kind`` ("accounts", "resources", "spend") may use it now."""

    def load_for_cache(self, load: Callable[[Connection], T]) -> tuple[int, T]:
        """``load`` run in a transaction, with the counter read before that transaction began."""


class ReadCache:
    def __init__(self, changes: ChangeCounter, max_entries: int = 100_000) -> None:
        self.changes = changes
        self.max_entries = max_entries
        self._entries: dict[tuple[Any, ...], tuple[int, Any, float]] = {}

    def get(self, source: CacheSource, key: tuple[Any, ...], load: Callable[[Connection], T],
            max_age: float | None = None) -> T:
        generation = self.changes.current()
        hit = self._entries.get(key)
        if hit is not None and hit[0] == generation and (max_age is None or hit[2] > time.monotonic()):
            return hit[1]  # type: ignore[no-any-return]
        loaded_at, value = source.load_for_cache(load)
        if len(self._entries) >= self.max_entries:
            self._entries.clear()  # bounded: a full cache starts over rather than growing
        self._entries[key] = (loaded_at, value, time.monotonic() + max_age if max_age is not None else 0.0)
        return value

    def forget(self, key: tuple[Any, ...]) -> None:
        self._entries.pop(key, None)

    def add(self, key: tuple[Any, ...], amount: int) -> None:
        """Add ``amount`` to a cached number (one this process has just added to the store as well)."""
        hit = self._entries.get(key)
        if hit is not None:
            self._entries[key] = (hit[0], hit[1] + amount, hit[2])


def cached(tx: Connection, kind: str, key: tuple[Any, ...], load: Callable[[Connection], T],
           max_age: float | None = None) -> T:
    """``load(tx)``, served from the cache when ``tx`` allows reads of ``kind`` through it."""
    source_of = getattr(tx, "cache_for", None)
    cache = source_of(kind) if source_of is not None else None
    if cache is None:
        return load(tx)
    return cache.get(tx, (kind, *key), load, max_age)  # type: ignore[arg-type]


def add_after_commit(tx: Connection, kind: str, key: tuple[Any, ...], amount: int) -> None:
    """Once ``tx`` commits, add ``amount`` to a cached counter that ``tx`` has added it to in the store (a
    counter with a maximum age, such as the spend booked this month), so this process sees it at once."""
    tx.info.setdefault(ADDED, []).append(((kind, *key), amount))
