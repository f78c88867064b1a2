"""SMS encoding and segmentation: GSM 03.38 (7-bit, with its extension table) or UCS-2 (UTF-16).

One part carries 140 bytes: 160 GSM septets or 70 UTF-16 code units alone, 153 or 67 when a concatenation
header (UDH) takes its share (aws-facts §5.3). An extension character (``^ { } \\ [ ] ~ | €`` and form feed)
is an escape plus a septet and costs two; a part never ends between the escape and its character, and a
UCS-2 part never splits a surrogate pair (an emoji outside the BMP costs two units).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

GSM_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
"""The 128 characters of the GSM 03.38 default alphabet in code order (0x1B is the escape, not a character)."""
GSM_EXTENSION = "\f^{}\\[~]|€"
"""Characters reached through the escape: two septets each."""

_BASIC = frozenset(GSM_BASIC) - {"\x1b"}
_EXTENSION = frozenset(GSM_EXTENSION)

GSM = "GSM"
UNICODE = "UNICODE"
_LIMITS = {GSM: (160, 153), UNICODE: (70, 67)}


@dataclass(frozen=True)
class Segmentation:
    """How a body goes over the air: its encoding (as event records name it) and its parts."""

    encoding: str
    parts: tuple[str, ...]

    @property
    def part_count(self) -> int:
        return len(self.parts)


def is_gsm(text: str) -> bool:
    """Whether every character of ``text`` is in the GSM default alphabet or its extension table."""
    return all(char in _BASIC or char in _EXTENSION for char in text)


def _cost(char: str, encoding: str) -> int:
    if encoding == GSM:
        return 2 if char in _EXTENSION else 1
    return 2 if ord(char) > 0xFFFF else 1


def units(text: str, encoding: str) -> int:
    """Septets (GSM) or UTF-16 code units (UNICODE) that ``text`` occupies."""
    return sum(_cost(char, encoding) for char in text)


@lru_cache(maxsize=4096)
def segment(body: str) -> Segmentation:
    """Split ``body`` into parts. Python strings hold code points, so an extension character or an
    astral character is never cut in two: a part that cannot take its whole cost ends before it."""
    encoding = GSM if is_gsm(body) else UNICODE
    single, multi = _LIMITS[encoding]
    if units(body, encoding) <= single:
        return Segmentation(encoding, (body,))
    parts: list[str] = []
    start, used = 0, 0
    for index, char in enumerate(body):
        cost = _cost(char, encoding)
        if used + cost > multi:
            parts.append(body[start:index])
            start, used = index, 0
        used += cost
    parts.append(body[start:])
    return Segmentation(encoding, tuple(parts))
