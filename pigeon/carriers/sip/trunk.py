"""One SIP carrier inside the agent thread: its transport, its accounts (one per caller id), its calls.

Every method runs in the agent thread (``Agent.run``). A call reports each step through ``report(CallEvent)``:
RINGING (180/183), ANSWERED (200), then one final status (pigeon/carriers/sip/outcome.py). After the answer
the message plays once; the call hangs up ``tail_seconds`` after it ends.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pjsua2 as pj

from pigeon.carriers.sip import outcome
from pigeon.carriers.sip.agent import Agent, describe, restrict_codecs
from pigeon.carriers.sip.calls import SAFETY_SECONDS, CallEvent, CallRequest
from pigeon.carriers.sip.config import SipConfig

log = logging.getLogger("pigeon.carriers.sip")

RESPONSE_TIMEOUT_SECONDS = 8.0
"""A trunk that sends no response at all (not even 100 Trying) this long after the INVITE is unreachable."""
FORGET_SECONDS = 60.0
"""A call still not disconnected this long after its hang-up is forgotten (its slot freed)."""
_TRANSPORTS = {"udp": pj.PJSIP_TRANSPORT_UDP, "tcp": pj.PJSIP_TRANSPORT_TCP, "tls": pj.PJSIP_TRANSPORT_TLS}


@dataclass
class _State:
    request: CallRequest
    placed_at: float
    call_id: str = ""
    heard: bool = False
    ringing: bool = False
    answered_at: float | None = None
    media_at: float | None = None
    hangup_at: float | None = None
    timed_out: bool = False
    played: bool = False
    reported: bool = False
    ended: bool = False
    player: Any = None
    extra: dict[str, Any] = field(default_factory=dict)


class _Call(pj.Call):  # type: ignore[misc]
    def __init__(self, trunk: Trunk, account: Any, state: _State) -> None:
        super().__init__(account)
        self.trunk, self.state = trunk, state

    def onCallState(self, prm: Any) -> None:  # noqa: N802 - PJSUA2's callback names
        self.trunk.on_state(self)

    def onCallMediaState(self, prm: Any) -> None:  # noqa: N802
        self.trunk.on_media(self)

    def onCallTsxState(self, prm: Any) -> None:  # noqa: N802
        event = prm.e
        if event.type == pj.PJSIP_EVENT_TSX_STATE and event.body.tsxState.type == pj.PJSIP_EVENT_RX_MSG:
            self.state.heard = True

    def onCallSdpCreated(self, prm: Any) -> None:  # noqa: N802
        prm.sdp.wholeSdp = restrict_codecs(prm.sdp.wholeSdp, self.trunk.config.codecs)


class Trunk:
    def __init__(self, agent: Agent, config: SipConfig, report: Callable[[CallEvent], None]) -> None:
        self.agent, self.config, self.report = agent, config, report
        self.calls: dict[str, _Call] = {}
        self.transport_id = self._transport()
        self.local = self._local_port()
        self.account = self._account()

    # --- set-up ---------------------------------------------------------------------------------------

    def _transport(self) -> int:
        config = self.config
        transport = pj.TransportConfig()
        transport.port = config.local_port
        if config.local_address:
            transport.boundAddress = config.local_address
        if config.public_address or config.local_address:
            transport.publicAddress = config.public_address or config.local_address
        if config.transport == "tls":
            transport.tlsConfig.verifyServer = config.tls_verify_server
            if config.tls_ca_file:
                transport.tlsConfig.CaListFile = config.tls_ca_file
        return int(self.agent.endpoint.transportCreate(_TRANSPORTS[config.transport], transport))

    def _local_port(self) -> str:
        info = self.agent.endpoint.transportGetInfo(self.transport_id)
        return str(info.localName)

    def _account(self) -> Any:
        """The trunk's one account (PJSUA holds at most 8 a process); each call sets its own From."""
        config = self.config
        settings = pj.AccountConfig()
        settings.idUri = config.from_uri("pigeon", "")
        settings.regConfig.registrarUri = ""
        settings.regConfig.registerOnAdd = False
        settings.sipConfig.transportId = self.transport_id
        if config.username is not None:
            settings.sipConfig.authCreds.append(pj.AuthCredInfo("digest", config.realm, config.username, 0,
                                                                config.password or ""))
        media = settings.mediaConfig.transportConfig
        media.port = config.rtp_ports[0]
        media.portRange = config.rtp_ports[1] - config.rtp_ports[0]
        if config.local_address:
            media.boundAddress = config.local_address
        if config.public_address or config.local_address:
            media.publicAddress = config.public_address or config.local_address
        settings.natConfig.iceEnabled = False
        settings.natConfig.sdpNatRewriteUse = 0
        settings.natConfig.viaRewriteUse = 0
        settings.natConfig.contactRewriteUse = 0
        account = pj.Account()
        account.create(settings)
        return account

    # --- calls ----------------------------------------------------------------------------------------

    def place(self, request: CallRequest) -> str:
        """Send the INVITE; returns the SIP Call-ID (pj.Error when the stack refuses to send it)."""
        config = self.config
        state = _State(request, time.monotonic())
        call = _Call(self, self.account, state)
        operation = pj.CallOpParam(True)
        operation.txOption.localUri = config.from_uri(request.origination, request.destination)
        call.makeCall(config.target(request.origination, request.destination), operation)
        state.call_id = str(call.getInfo().callIdString)
        self.calls[request.message_id] = call
        return state.call_id

    @property
    def active(self) -> int:
        return len(self.calls)

    def on_state(self, call: _Call) -> None:
        state = call.state
        info = call.getInfo()
        code, reason = int(info.lastStatusCode), str(info.lastReason)
        if info.state in (pj.PJSIP_INV_STATE_EARLY, pj.PJSIP_INV_STATE_CONNECTING):
            state.heard = True
        if info.state == pj.PJSIP_INV_STATE_EARLY and code in outcome.RINGING_CODES and not state.ringing:
            state.ringing = True
            self._report(state, "RINGING", False, sip_status=outcome.status_line(code, reason))
        elif info.state == pj.PJSIP_INV_STATE_CONFIRMED and state.answered_at is None:
            state.heard = True
            state.answered_at = time.monotonic()
            self._report(state, "ANSWERED", False, sip_status=outcome.status_line(code, reason))
        elif info.state == pj.PJSIP_INV_STATE_DISCONNECTED:
            state.ended = True
            duration = info.connectDuration.sec + info.connectDuration.msec / 1000.0
            if state.answered_at is None:
                duration = 0.0
            ending = outcome.ending(code, reason, answered=state.answered_at is not None, heard=state.heard,
                                    timed_out=state.timed_out, played=state.played)
            self._report(state, ending.status, True, ending.description, outcome.status_line(code, reason),
                         duration)
            self._release_player(state)

    def on_media(self, call: _Call) -> None:
        state = call.state
        if state.player is not None or state.ended:
            return  # PJSUA calls this after the 200 and again after the ACK: play once
        info = call.getInfo()
        for media in info.media:
            if media.type == pj.PJMEDIA_TYPE_AUDIO and media.status == pj.PJSUA_CALL_MEDIA_ACTIVE:
                player = pj.AudioMediaPlayer()
                try:
                    player.createPlayer(str(state.request.audio), pj.PJMEDIA_FILE_NO_LOOP)
                    player.startTransmit(call.getAudioMedia(media.index))
                except pj.Error as error:  # never raise into PJSUA's callback
                    self._give_up(call, "FAILED", f"The message could not be played: {describe(error)}")
                    return
                state.player = player
                state.media_at = time.monotonic()
                return

    def tick(self, now: float) -> None:
        config = self.config
        for message_id, call in list(self.calls.items()):
            state = call.state
            if state.ended:
                del self.calls[message_id]  # dropped here, never inside PJSUA's callback
                continue
            if state.hangup_at is not None:
                if now - state.hangup_at > FORGET_SECONDS:  # the stack never said DISCONNECTED
                    self._report(state, "FAILED", True, "The call did not end after the hang-up")
                    del self.calls[message_id]
                continue
            if state.answered_at is None:
                if not state.heard and now - state.placed_at >= min(RESPONSE_TIMEOUT_SECONDS,
                                                                     config.ring_timeout_seconds):
                    self._give_up(call, "FAILED", "The trunk did not answer the INVITE: unreachable")
                elif now - state.placed_at >= config.ring_timeout_seconds:
                    state.timed_out = True
                    self._hangup(call)
                continue
            start = state.media_at if state.media_at is not None else state.answered_at
            if state.media_at is not None and now >= start + state.request.audio_seconds + config.tail_seconds:
                state.played = True
                self._hangup(call)
            elif now >= state.answered_at + state.request.audio_seconds + config.tail_seconds + SAFETY_SECONDS:
                self._hangup(call)

    def _give_up(self, call: _Call, status: str, description: str) -> None:
        """Report the call ended now (the stack may take its transaction timeout to let it go)."""
        self._report(call.state, status, True, description)
        self._hangup(call)

    def _hangup(self, call: _Call) -> None:
        call.state.hangup_at = time.monotonic()
        try:
            call.hangup(pj.CallOpParam(True))
        except pj.Error as error:
            log.warning("hang-up of %s failed: %s", call.state.call_id, describe(error))

    def _release_player(self, state: _State) -> None:
        state.player = None

    def _report(self, state: _State, status: str, is_final: bool, description: str = "", sip_status: str = "",
                duration: float = 0.0) -> None:
        if state.reported:
            return
        state.reported = is_final
        self.report(CallEvent(state.request.message_id, status, is_final, description, sip_status, state.call_id,
                              round(duration, 3), state.answered_at is not None))

    def close(self) -> None:
        """Hang up every call (their BYE or CANCEL goes out with the agent's next polls)."""
        for call in list(self.calls.values()):
            if not call.state.ended:
                self._hangup(call)

    def shut(self) -> None:
        """Forget the calls and close the transport (after ``close`` and a short wait)."""
        self.calls.clear()
        self.account = None
        try:
            self.agent.endpoint.transportClose(self.transport_id)
        except pj.Error:
            pass
