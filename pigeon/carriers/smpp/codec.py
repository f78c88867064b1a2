"""Texts to submit_sm fields and deliver_sm back to texts: encodings, concatenation, addresses, receipts.

The segmentation is the API's own (pigeon/messaging/encoding.py: the parts the price and the event records
count), each part encoded on its own, so no part ends inside an escape pair or a surrogate pair. GSM 03.38
goes unpacked (one septet an octet, as SMPP carries it) through the ``gsm0338`` codec; UCS-2 as UTF-16-BE.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any

import gsm0338  # noqa: F401 - registers the "gsm03.38" codec

from pigeon.carriers.smpp.config import SmppConfig
from pigeon.messaging import encoding

DC_UCS2 = 8
ESM_UDHI = 0x40
_RECEIPT_TYPES = (0x04, 0x08, 0x10, 0x20)
"""esm_class message types (bits 2-5) that report on a message: SMSC delivery receipt, SME delivery and manual
acknowledgements, intermediate notification."""


@dataclass(frozen=True)
class Part:
    """The fields of one submit_sm."""

    short_message: bytes
    esm_class: int
    data_coding: int
    tlvs: dict[str, Any]


def parts_of(text: str, config: SmppConfig, reference: int) -> list[Part]:
    """The submit_sm fields of ``text``: one part, or its API parts concatenated by the configured method."""
    segmentation = encoding.segment(text)
    gsm = segmentation.encoding == encoding.GSM
    data_coding = config.gsm_data_coding if gsm else DC_UCS2
    encoded = [_encode(part, gsm) for part in segmentation.parts]
    if len(encoded) == 1:
        return [Part(encoded[0], 0, data_coding, {})]
    if config.long_message_method == "payload":
        return [Part(b"", 0, data_coding, {"message_payload": b"".join(encoded)})]
    total = len(encoded)
    if config.long_message_method == "sar":
        return [Part(chunk, 0, data_coding, {"sar_msg_ref_num": reference & 0xFFFF, "sar_total_segments": total,
                                             "sar_segment_seqnum": index})
                for index, chunk in enumerate(encoded, start=1)]
    return [Part(bytes([5, 0, 3, reference & 0xFF, total, index]) + chunk, ESM_UDHI, data_coding, {})
            for index, chunk in enumerate(encoded, start=1)]


def _encode(text: str, gsm: bool) -> bytes:
    return text.encode("gsm03.38") if gsm else text.encode("utf-16-be")


def decode(data: bytes, data_coding: int) -> str:
    """A handset's text by its data_coding (0: GSM 03.38, 1: IA5/ASCII, 3: Latin-1, 8: UCS-2); undecodable
    octets become '?' rather than losing the message."""
    if data_coding == DC_UCS2:
        return data.decode("utf-16-be", errors="replace")
    if data_coding == 3:
        return data.decode("latin-1")
    if data_coding == 1:
        return data.decode("ascii", errors="replace")
    return data.decode("gsm03.38", errors="replace")


def source_address(origination: str, config: SmppConfig) -> tuple[int, int, str]:
    """(TON, NPI, address) of our origination identity: E.164 international, a short code, or an alphanumeric ID."""
    if origination.startswith("+") and origination[1:].isdigit():
        ton, npi, address = 1, 1, origination[1:]
    elif origination.isdigit():
        ton, npi, address = 3, 0, origination
    else:
        ton, npi, address = 5, 0, origination
    return (config.source_ton if config.source_ton is not None else ton,
            config.source_npi if config.source_npi is not None else npi, address)


def e164(address: bytes | str, ton: int) -> str:
    """A handset's or our number from a deliver_sm address: '+' and digits for international numbers."""
    text = address.decode("ascii", errors="replace") if isinstance(address, bytes) else address
    text = text.strip()
    if text.startswith("+") or not text.isdigit():
        return text
    return f"+{text}" if ton in (0, 1) else text


def validity_period(expires_at: float) -> str:
    """SMPP absolute time ``YYMMDDhhmmss000+`` in UTC."""
    return time.strftime("%y%m%d%H%M%S", time.gmtime(expires_at)) + "000+"


# --- deliver_sm --------------------------------------------------------------------------------------------


def is_receipt(esm_class: int) -> bool:
    return (esm_class & 0x3C) in _RECEIPT_TYPES


_FIELD = re.compile(r"(id|sub|dlvrd|submit date|done date|stat|err)\s*:\s*(\S+)", re.IGNORECASE)
_MESSAGE_STATES = {1: "ENROUTE", 2: "DELIVRD", 3: "EXPIRED", 4: "DELETED", 5: "UNDELIV", 6: "ACCEPTD",
                   7: "UNKNOWN", 8: "REJECTD", 9: "SKIPPED"}


@dataclass(frozen=True)
class ReceiptFields:
    carrier_message_id: str
    stat: str
    err: str


def parse_receipt(short_message: bytes, receipted_message_id: Any, message_state: Any) -> ReceiptFields | None:
    """The receipt's id and state: the TLVs when present, else the ``id:... stat:... err:...`` text (any case,
    any order, extra spaces). None when neither names the message."""
    text = short_message.decode("latin-1", errors="replace") if short_message else ""
    found = {key.lower(): value for key, value in _FIELD.findall(text)}
    if isinstance(receipted_message_id, bytes):
        receipted_message_id = receipted_message_id.rstrip(b"\0").decode("ascii", errors="replace")
    carrier_id = str(receipted_message_id or found.get("id", "")).strip()
    stat = _MESSAGE_STATES.get(message_state) if isinstance(message_state, int) else None
    stat = (stat or found.get("stat", "")).upper()
    if not carrier_id or not stat:
        return None
    return ReceiptFields(carrier_id, stat, found.get("err", ""))


@dataclass(frozen=True)
class Concatenation:
    reference: int
    total: int
    sequence: int


def split_udh(short_message: bytes) -> tuple[Concatenation | None, bytes]:
    """The concatenation IE (0x00: 8-bit reference, 0x08: 16-bit) of a UDH, and the text after the header."""
    if not short_message:
        return None, short_message
    length = short_message[0]
    header, body = short_message[1:1 + length], short_message[1 + length:]
    position = 0
    found = None
    while position + 2 <= len(header):
        ie, size = header[position], header[position + 1]
        value = header[position + 2:position + 2 + size]
        if ie == 0x00 and size == 3:
            found = Concatenation(value[0], value[1], value[2])
        elif ie == 0x08 and size == 4:
            found = Concatenation(int.from_bytes(value[:2], "big"), value[2], value[3])
        position += 2 + size
    return found, body
