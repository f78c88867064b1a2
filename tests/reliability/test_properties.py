"""Properties of the pure helpers that every message goes through, over texts Hypothesis makes up (any
Unicode, GSM's extension characters, astral emoji): segmentation and the SMPP encoding lose nothing, split
no escape or surrogate pair, and keep within one part's size."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from pigeon.carriers.smpp import codec
from pigeon.carriers.smpp.config import parse_config
from pigeon.messaging import encoding

GSM_TEXT = st.text(alphabet=encoding.GSM_BASIC.replace("\x1b", "") + encoding.GSM_EXTENSION, max_size=700)
ANY_TEXT = st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=400)
CONFIG = parse_config({"name": "p", "type": "smpp", "host": "h"})


@settings(max_examples=300, deadline=None)
@given(st.one_of(GSM_TEXT, ANY_TEXT))
def test_segmentation_loses_nothing_and_keeps_each_part_within_its_size(text: str) -> None:
    parts = encoding.segment(text)
    assert "".join(parts.parts) == text
    single, multi = (160, 153) if parts.encoding == encoding.GSM else (70, 67)
    limit = single if parts.part_count == 1 else multi
    assert all(encoding.units(part, parts.encoding) <= limit for part in parts.parts)


@settings(max_examples=300, deadline=None)
@given(st.one_of(GSM_TEXT, ANY_TEXT), st.integers(min_value=0, max_value=65535))
def test_smpp_parts_decode_back_to_the_text_each_on_its_own(text: str, reference: int) -> None:
    parts = codec.parts_of(text, CONFIG, reference)
    decoded = []
    for part in parts:
        body = part.short_message
        if part.esm_class & codec.ESM_UDHI:
            concatenation, body = codec.split_udh(body)
            assert concatenation is not None and concatenation.total == len(parts)
        assert len(part.short_message) <= 140 or part.data_coding == 0 and len(part.short_message) <= 160
        decoded.append(codec.decode(body, part.data_coding))  # each part alone: no split pair or escape
    assert "".join(decoded) == text
