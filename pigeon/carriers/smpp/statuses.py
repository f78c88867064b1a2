"""What an SMSC's answers mean in AWS's terms (the mapping is written out in docs/decisions.md, "SMPP").

A submit_sm_resp's command_status is accepted (0), worth another try (throttled, queue full, a temporary
failure: the message is retried until its TimeToLive), or a final refusal with the AWS failure status its
meaning is closest to. A receipt's ``stat`` is final (DELIVRD, UNDELIV, EXPIRED, REJECTD, DELETED, UNKNOWN)
or only progress (ENROUTE, ACCEPTD, SKIPPED), which AWS has no event for.
"""

from __future__ import annotations

from dataclasses import dataclass

ROK = 0x00
RINVBNDSTS = 0x04
RINVDSTADR = 0x0B
RINVPASWD = 0x0E
RINVSYSID = 0x0F
RMSGQFUL = 0x14
RTHROTTLED = 0x58
RX_T_APPN = 0x63

NAMES = {
    0x00: "ESME_ROK", 0x01: "ESME_RINVMSGLEN", 0x02: "ESME_RINVCMDLEN", 0x03: "ESME_RINVCMDID",
    0x04: "ESME_RINVBNDSTS", 0x05: "ESME_RALYBND", 0x06: "ESME_RINVPRTFLG", 0x07: "ESME_RINVREGDLVFLG",
    0x08: "ESME_RSYSERR", 0x0A: "ESME_RINVSRCADR", 0x0B: "ESME_RINVDSTADR", 0x0C: "ESME_RINVMSGID",
    0x0D: "ESME_RBINDFAIL", 0x0E: "ESME_RINVPASWD", 0x0F: "ESME_RINVSYSID", 0x14: "ESME_RMSGQFUL",
    0x15: "ESME_RINVSERTYP", 0x33: "ESME_RINVNUMDESTS", 0x43: "ESME_RINVESMCLASS", 0x45: "ESME_RSUBMITFAIL",
    0x48: "ESME_RINVSRCTON", 0x49: "ESME_RINVSRCNPI", 0x50: "ESME_RINVDSTTON", 0x51: "ESME_RINVDSTNPI",
    0x53: "ESME_RINVSYSTYP", 0x58: "ESME_RTHROTTLED", 0x61: "ESME_RINVSCHED", 0x62: "ESME_RINVEXPIRY",
    0x63: "ESME_RX_T_APPN", 0x64: "ESME_RX_P_APPN", 0x65: "ESME_RX_R_APPN", 0xC0: "ESME_RINVOPTPARSTREAM",
    0xC1: "ESME_ROPTPARNOTALLWD", 0xC2: "ESME_RINVPARLEN", 0xC3: "ESME_RMISSINGOPTPARAM",
    0xC4: "ESME_RINVOPTPARAMVAL", 0xFE: "ESME_RDELIVERYFAILURE", 0xFF: "ESME_RUNKNOWNERR",
}

THROTTLING = frozenset({RTHROTTLED, RMSGQFUL})
TEMPORARY = frozenset({0x08, RINVBNDSTS, 0x45, RX_T_APPN, 0x05})
"""Retried with backoff: a system error, not bound (yet), submit failed, a temporary application error."""
FINAL = {
    0x0B: "INVALID", 0x33: "INVALID", 0x50: "INVALID", 0x51: "INVALID",
    0x01: "INVALID_MESSAGE", 0x43: "INVALID_MESSAGE", 0x62: "INVALID_MESSAGE", 0x61: "INVALID_MESSAGE",
    0xC0: "INVALID_MESSAGE", 0xC1: "INVALID_MESSAGE", 0xC2: "INVALID_MESSAGE", 0xC3: "INVALID_MESSAGE",
    0xC4: "INVALID_MESSAGE",
    0x0A: "CARRIER_BLOCKED", 0x48: "CARRIER_BLOCKED", 0x49: "CARRIER_BLOCKED",
    0x64: "BLOCKED", 0x65: "BLOCKED",
    0xFE: "UNREACHABLE",
}
"""A final refusal's AWS status; any other non-zero status is UNKNOWN."""


def name(status: int) -> str:
    return NAMES.get(status, f"0x{status:08X}")


@dataclass(frozen=True)
class ReceiptMeaning:
    status: str
    is_final: bool


RECEIPT_STATS = {
    "DELIVRD": ReceiptMeaning("DELIVERED", True),
    "DELIVERED": ReceiptMeaning("DELIVERED", True),
    "UNDELIV": ReceiptMeaning("UNREACHABLE", True),
    "UNDELIVERABLE": ReceiptMeaning("UNREACHABLE", True),
    "EXPIRED": ReceiptMeaning("TTL_EXPIRED", True),
    "REJECTD": ReceiptMeaning("CARRIER_BLOCKED", True),
    "REJECTED": ReceiptMeaning("CARRIER_BLOCKED", True),
    "DELETED": ReceiptMeaning("UNKNOWN", True),
    "UNKNOWN": ReceiptMeaning("UNKNOWN", True),
    "ENROUTE": ReceiptMeaning("SUCCESSFUL", False),
    "ACCEPTD": ReceiptMeaning("SUCCESSFUL", False),
    "ACCEPTED": ReceiptMeaning("SUCCESSFUL", False),
    "SKIPPED": ReceiptMeaning("SUCCESSFUL", False),
}


def receipt_meaning(stat: str) -> ReceiptMeaning:
    return RECEIPT_STATS.get(stat.upper(), ReceiptMeaning("UNKNOWN", True))
