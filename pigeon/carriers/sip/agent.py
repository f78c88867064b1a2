"""A call process's SIP user agent: one PJSUA2 endpoint, driven by one thread that alone calls into it.

PJSUA2 runs with no threads of its own for SIP (``threadCnt=0``, ``mainThreadOnly``): the ``pigeon-sip`` thread
polls it every 10 ms (releasing the GIL meanwhile), runs the commands other threads hand it, and ticks each
trunk's timers. Media is the endpoint's: a null sound device clocks the conference bridge at 8 kHz, each call's
WAV player feeds its stream, and the stream paces RTP at 20 ms in C, so Python never sits in the media path.
"""

from __future__ import annotations

import logging
import queue
import re
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

import pjsua2 as pj

from pigeon import __version__

log = logging.getLogger("pigeon.carriers.sip")
T = TypeVar("T")

POLL_MS = 10
MAX_CALLS = 4
"""PJSUA_MAX_CALLS of the wheel's build (a larger maxCalls is cut to it): pigeon/carriers/sip/helper.py."""
_PAYLOAD_TYPES = {"PCMU": "0", "PCMA": "8"}


class Agent:
    """The endpoint and its thread (one a process: PJSUA is a singleton)."""

    def __init__(self) -> None:
        self._commands: queue.SimpleQueue[tuple[Callable[[], Any], Future[Any]]] = queue.SimpleQueue()
        self._tickers: list[Callable[[float], None]] = []
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self.endpoint: Any = None
        self._thread = threading.Thread(target=self._run, name="pigeon-sip", daemon=True)
        self._thread.start()
        self._ready.wait(30)
        if self._error is not None:
            raise RuntimeError(f"the SIP user agent did not start: {describe(self._error)}") from self._error

    @property
    def alive(self) -> bool:
        return self._thread.is_alive() and not self._stop.is_set()

    def run(self, work: Callable[[], T], timeout: float = 30.0) -> T:
        """``work()`` in the agent thread; its result (or its exception) here."""
        if threading.current_thread() is self._thread:
            return work()
        future: Future[T] = Future()
        self._commands.put((work, future))
        return future.result(timeout)

    def add_ticker(self, tick: Callable[[float], None]) -> None:
        self.run(lambda: self._tickers.append(tick))

    def remove_ticker(self, tick: Callable[[float], None]) -> None:
        self.run(lambda: self._tickers.remove(tick) if tick in self._tickers else None)

    def _run(self) -> None:
        try:
            self.endpoint = _start_endpoint()
        except BaseException as error:  # noqa: BLE001 - reported to the thread that started us
            self._error = error
            self._ready.set()
            return
        self._ready.set()
        while not self._stop.is_set():
            try:
                self.endpoint.libHandleEvents(POLL_MS)
                self._drain()
                now = time.monotonic()
                for tick in list(self._tickers):
                    tick(now)
            except Exception:  # noqa: BLE001 - one bad call must not end every call of the process
                log.exception("SIP agent cycle failed")
        self._drain()

    def _drain(self) -> None:
        while True:
            try:
                work, future = self._commands.get_nowait()
            except queue.Empty:
                return
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(work())
            except BaseException as error:  # noqa: BLE001 - handed back to the caller
                future.set_exception(error)


def _start_endpoint() -> Any:
    endpoint = pj.Endpoint()
    endpoint.libCreate()
    config = pj.EpConfig()
    config.uaConfig.threadCnt = 0
    config.uaConfig.mainThreadOnly = True
    config.uaConfig.maxCalls = MAX_CALLS
    config.uaConfig.userAgent = f"Pigeon/{__version__}"
    config.logConfig.level = 1
    config.logConfig.consoleLevel = 1
    media = config.medConfig
    media.clockRate = 8000
    media.sndClockRate = 8000
    media.channelCount = 1
    media.audioFramePtime = 20
    media.ptime = 20
    media.noVad = True
    media.ecTailLen = 0
    endpoint.libInit(config)
    endpoint.audDevManager().setNullDev()
    endpoint.libStart()
    for codec in endpoint.codecEnum2():
        enabled = codec.codecId.split("/")[0] in _PAYLOAD_TYPES
        endpoint.codecSetPriority(codec.codecId, 200 if enabled else 0)
    return endpoint


def restrict_codecs(sdp: str, codecs: tuple[str, ...]) -> str:
    """The SDP offer with its audio formats cut to ``codecs`` in that order (PJSUA's priorities are the
    endpoint's; each carrier has its own list). telephone-event and other non-G.711 formats are dropped."""
    wanted = [_PAYLOAD_TYPES[codec] for codec in codecs]
    lines = sdp.replace("\r\n", "\n").split("\n")
    out = []
    for line in lines:
        match = re.match(r"m=audio (\S+) (\S+)(?: .*)?$", line)
        if match:
            out.append(f"m=audio {match.group(1)} {match.group(2)} {' '.join(wanted)}")
            continue
        attribute = re.match(r"a=(?:rtpmap|fmtp):(\d+)\b", line)
        if attribute and attribute.group(1) not in wanted:
            continue
        out.append(line)
    return "\r\n".join(out)


def describe(error: BaseException) -> str:
    info = getattr(error, "info", None)
    if callable(info):
        try:
            return str(info())
        except Exception:  # noqa: BLE001
            pass
    return repr(error)

