"""Encoding and segmentation: GSM-7 (with its extension table) vs UCS-2, 160/153 and 70/67."""

from __future__ import annotations

import pytest

from pigeon.messaging.encoding import GSM, GSM_BASIC, UNICODE, is_gsm, segment, units


def test_gsm_body_of_160_characters_is_one_part() -> None:
    result = segment("a" * 160)
    assert (result.encoding, result.part_count) == (GSM, 1)


def test_gsm_body_of_161_characters_splits_153_and_8() -> None:
    result = segment("a" * 161)
    assert [len(part) for part in result.parts] == [153, 8]


def test_481_gsm_characters_are_four_parts() -> None:
    """aws-facts §1.3: "a 481-char GSM-7 SMS is 4 parts"."""
    assert segment("x" * 481).part_count == 4


def test_extension_characters_cost_two_septets() -> None:
    assert units("{}[]~|^\\€", GSM) == 18
    assert segment("€" * 80).part_count == 1
    assert segment("€" * 81).part_count == 2


def test_escape_and_its_character_never_split_across_parts() -> None:
    body = "a" * 152 + "{" + "b" * 10
    parts = segment(body).parts
    assert parts[0] == "a" * 152
    assert parts[1].startswith("{")
    assert all(units(part, GSM) <= 153 for part in parts)


def test_one_non_gsm_character_makes_the_whole_body_unicode() -> None:
    result = segment("a" * 100 + "ç")
    assert result.encoding == UNICODE
    assert [len(part) for part in result.parts] == [67, 34]


def test_unicode_body_of_70_units_is_one_part_and_71_is_two() -> None:
    assert segment("ж" * 70).part_count == 1
    assert segment("ж" * 71).part_count == 2


def test_surrogate_pairs_count_two_units_and_stay_whole() -> None:
    assert segment("😀" * 35).part_count == 1
    parts = segment("😀" * 36).parts
    assert [len(part) for part in parts] == [33, 3]
    assert all(units(part, UNICODE) <= 67 for part in parts)


@pytest.mark.parametrize("char", ["@", "£", "Δ", "é", "Ä", "\n", "¿"])
def test_basic_alphabet_characters_are_gsm(char: str) -> None:
    assert is_gsm(char) and units(char, GSM) == 1


def test_basic_table_has_128_code_points() -> None:
    assert len(GSM_BASIC) == 128


def test_parts_join_back_to_the_body() -> None:
    body = ("Grüße aus Köln! {ok} " * 30).strip()
    assert "".join(segment(body).parts) == body
