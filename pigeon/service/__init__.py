"""Business rules, one module per resource family. Plain functions over validated params and a store
transaction; they raise the typed errors of ``pigeon.errors`` and know nothing of HTTP.

Importing this package imports every family module, which registers its operations in
``registry.OPERATIONS``.
"""

from __future__ import annotations

import importlib
import pkgutil

_INFRASTRUCTURE = {"context", "registry", "invoke"}


def load_families() -> None:
    for module in pkgutil.iter_modules(__path__):
        if module.name not in _INFRASTRUCTURE and not module.name.startswith("_"):
            importlib.import_module(f"{__name__}.{module.name}")
