"""SMPP encoding (pigeon/carriers/smpp/codec.py): parts follow the API's segmentation, never split an escape
or a surrogate pair, and carry the concatenation each method needs; receipts parse tolerantly."""

from __future__ import annotations

import pytest

from pigeon.carriers.smpp import codec, statuses
from pigeon.carriers.smpp.config import parse_config


def config(method: str = "udh"):
    return parse_config({"name": "t", "type": "smpp", "host": "h", "long_message_method": method})


def test_gsm_text_is_unpacked_septets_with_escapes():
    [part] = codec.parts_of("a{€}@", config(), 1)
    assert (part.short_message, part.data_coding, part.esm_class) == (b"a\x1b(\x1be\x1b)\x00", 0, 0)


def test_a_long_gsm_text_never_ends_a_part_on_an_escape():
    parts = codec.parts_of("€" * 100, config(), 7)
    assert [len(p.short_message) - 6 for p in parts] == [152, 48]
    assert all(p.short_message[:6] == bytes([5, 0, 3, 7, 2, i]) for i, p in enumerate(parts, 1))
    assert all(not p.short_message.endswith(b"\x1b") for p in parts)
    assert b"".join(p.short_message[6:] for p in parts).decode("gsm03.38") == "€" * 100


def test_a_long_ucs2_text_never_splits_a_surrogate_pair():
    text = "a" + "😀" * 40
    parts = codec.parts_of(text, config("sar"), 300)
    chunks = [p.short_message for p in parts]
    assert all(len(chunk) % 2 == 0 and chunk.decode("utf-16-be") for chunk in chunks)
    assert "".join(chunk.decode("utf-16-be") for chunk in chunks) == text
    assert [p.tlvs for p in parts][0] == {"sar_msg_ref_num": 300, "sar_total_segments": 2, "sar_segment_seqnum": 1}
    assert {p.data_coding for p in parts} == {8}


def test_message_payload_carries_the_whole_text_in_one_submit():
    [part] = codec.parts_of("x" * 400, config("payload"), 1)
    assert (part.short_message, part.tlvs["message_payload"]) == (b"", b"x" * 400)


@pytest.mark.parametrize("text,tlv_id,state,expected", [
    (b"id:0a1b sub:001 dlvrd:001 submit date:2612060148 done date:2612060148 stat:DELIVRD err:000 text:hi",
     None, None, ("0a1b", "DELIVRD", "000")),
    (b"ID:77 STAT:undeliv ERR:001", None, None, ("77", "UNDELIV", "001")),
    (b"stat:DELIVRD err:000 id:42", None, None, ("42", "DELIVRD", "000")),
    (b"", b"abc\x00", 5, ("abc", "UNDELIV", "")),
    (b"id:1 stat:DELIVRD", "2", 8, ("2", "REJECTD", "")),
])
def test_receipts_are_read_from_tlvs_or_text_in_any_case_and_order(text, tlv_id, state, expected):
    fields = codec.parse_receipt(text, tlv_id, state)
    assert fields is not None and (fields.carrier_message_id, fields.stat, fields.err) == expected


def test_a_receipt_naming_no_message_is_none():
    assert codec.parse_receipt(b"hello there", None, None) is None


def test_receipt_states_map_to_aws_statuses():
    assert statuses.receipt_meaning("DELIVRD") == statuses.ReceiptMeaning("DELIVERED", True)
    assert statuses.receipt_meaning("EXPIRED").status == "TTL_EXPIRED"
    assert not statuses.receipt_meaning("ENROUTE").is_final
    assert statuses.receipt_meaning("SOMETHING").status == "UNKNOWN"


def test_udh_with_16_bit_reference_is_understood():
    concatenation, body = codec.split_udh(bytes([6, 8, 4, 0x12, 0x34, 3, 2]) + b"text")
    assert concatenation == codec.Concatenation(0x1234, 3, 2) and body == b"text"


def test_addresses_get_their_ton_and_npi():
    assert codec.source_address("+447400000001", config()) == (1, 1, "447400000001")
    assert codec.source_address("ACME", config()) == (5, 0, "ACME")
    assert codec.source_address("12345", config()) == (3, 0, "12345")
    assert codec.e164(b"447411000001", 1) == "+447411000001"
    assert codec.validity_period(0) == "700101000000000+"
