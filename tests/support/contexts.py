"""Calling service functions in-process, each in a request context of its own."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pigeon.runtime import Runtime
from pigeon.scope import Scope
from pigeon.service.context import Context


def runner(runtime: Runtime, scope: Scope) -> Callable[..., Any]:
    """``run(fn, *args, writes=True)`` calls ``fn(ctx, *args)`` in one request context at the clock's time,
    committed when ``fn`` returns, rolled back when it raises."""

    def run(fn: Callable[..., Any], *args: Any, writes: bool = True) -> Any:
        ctx = Context(scope, runtime, "Test", "request", runtime.clock.now(), writes)
        try:
            result = fn(ctx, *args)
        except BaseException as error:
            ctx.finish(error)
            raise
        ctx.finish()
        return result

    return run
