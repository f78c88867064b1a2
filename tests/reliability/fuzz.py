"""Model-driven fuzzing: requests for every operation of botocore's service model, made wrong in every way the
model says they can be, plus wire abuses no SDK would send. The promise checked on each answer: never a 5xx
(but NotImplementedException for an operation not implemented yet), always an AWS-shaped JSON error body
(``__type`` and ``message``), never a hang.

``cases(seed, count)`` yields reproducible requests; ``check(response)`` says what is wrong with an answer.
Used by tests/reliability/test_fuzz.py (a seeded slice in CI) and bench/reliability.py (long runs).
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

import botocore.session
from botocore.model import ListShape, MapShape, OperationModel, ServiceModel, Shape, StructureShape

TARGET_PREFIX = "PinpointSMSVoiceV2"
AWKWARD_STRINGS = ["", " ", "\u0000", "\ud800", "😀" * 300, "\u202eRTL", "../../etc/passwd", "%s%n%x", "' OR 1=1 --",
                   "<script>alert(1)</script>", "\n\r\t", "a" * 5000, "ÿ" * 70, "+1" + "9" * 30, "arn:aws:sms-voice:::",
                   "${jndi:ldap://x}", "NaN", "null", "0" * 64]
AWKWARD_NUMBERS: list[Any] = [-1, 0, 2**63, -(2**63) - 1, 1e308, -1e308, 3.5, "12", True, None]


@dataclass(frozen=True)
class Case:
    operation: str
    body: bytes
    headers: dict[str, str]
    kind: str
    """What was made wrong: 'wrong-type:Member', 'missing:Member', 'wire:non-json', ..."""


@cache
def model() -> ServiceModel:
    return botocore.session.get_session().get_service_model("pinpoint-sms-voice-v2")


def headers(operation: str, account: str = "123456789012") -> dict[str, str]:
    return {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": f"{TARGET_PREFIX}.{operation}",
            "Authorization": f"AWS4-HMAC-SHA256 Credential={account}/20260101/us-east-1/sms-voice/aws4_request, "
                             "SignedHeaders=content-type;host;x-amz-target, Signature=" + "0" * 64,
            "X-Amz-Date": "20260101T000000Z"}


def valid(shape: Shape, rng: random.Random, depth: int = 0) -> Any:
    """A value that satisfies the shape's type, limits and enum (patterns are not solved: a plain token)."""
    kind = shape.type_name
    meta = shape.metadata
    if kind == "structure":
        assert isinstance(shape, StructureShape)
        names = list(shape.required_members) + ([m for m in shape.members if rng.random() < 0.3] if depth < 3 else [])
        return {name: valid(shape.members[name], rng, depth + 1) for name in dict.fromkeys(names)}
    if kind == "list":
        assert isinstance(shape, ListShape)
        return [valid(shape.member, rng, depth + 1) for _ in range(max(1, int(meta.get("min", 1))))]
    if kind == "map":
        assert isinstance(shape, MapShape)
        return {str(valid(shape.key, rng, depth + 1)): valid(shape.value, rng, depth + 1)}
    if kind == "string":
        if shape.enum:
            return rng.choice(shape.enum)
        low, high = int(meta.get("min", 1)), int(meta.get("max", 20))
        return "a" * max(low, min(high, 8))
    if kind in ("integer", "long"):
        return int(meta.get("min", 1))
    if kind in ("double", "float"):
        return 1.0
    if kind == "boolean":
        return rng.random() < 0.5
    if kind == "timestamp":
        return 1_800_000_000
    if kind == "blob":
        return "aGVsbG8="
    return None


def _members(shape: StructureShape) -> list[tuple[str, Shape]]:
    return list(shape.members.items())


def wrong_values(shape: Shape, rng: random.Random) -> list[tuple[str, Any]]:
    """(what, value) pairs that break the shape: wrong types, limits, patterns, enums, sizes."""
    kind = shape.type_name
    meta = shape.metadata
    out: list[tuple[str, Any]] = [("null", None), ("object-for-scalar" if kind not in ("structure", "map") else
                                                   "scalar-for-object", {} if kind not in ("structure", "map") else 7)]
    if kind == "string":
        out += [("number", 12345), ("list", ["x"]), ("bool", False)]
        if "max" in meta:
            out.append(("too-long", "a" * (int(meta["max"]) + 1)))
        if int(meta.get("min", 0)) > 0:
            out.append(("too-short", ""))
        if shape.enum:
            out.append(("bad-enum", shape.enum[0].lower() + "_NOPE"))
        out += [("awkward", rng.choice(AWKWARD_STRINGS)) for _ in range(2)]
    elif kind in ("integer", "long", "double", "float"):
        out += [("awkward", value) for value in rng.sample(AWKWARD_NUMBERS, 3)]
        if "max" in meta:
            out.append(("too-big", int(meta["max"]) + 1))
        if "min" in meta:
            out.append(("too-small", int(meta["min"]) - 1))
    elif kind == "boolean":
        out += [("string", "true"), ("number", 1)]
    elif kind == "list":
        out += [("huge-list", ["a"] * 2000), ("nested-list", [[[[["a"]]]]]), ("string-for-list", "a")]
        if "max" in meta:
            out.append(("too-many", [valid(shape.member, rng) for _ in range(int(meta["max"]) + 1)]))  # type: ignore[attr-defined]
    elif kind == "map":
        out += [("huge-map", {f"k{i}": "v" for i in range(2000)}), ("list-for-map", [1, 2])]
    elif kind == "structure":
        out += [("list-for-struct", [1]), ("unknown-member", {"NoSuchMember": 1})]
    elif kind == "timestamp":
        out += [("string", "yesterday"), ("huge", 1e20), ("negative", -1e12)]
    elif kind == "blob":
        out += [("not-base64", "%%%"), ("number", 5)]
    return out


def _operation_cases(operation: OperationModel, rng: random.Random, account: str) -> list[Case]:
    name = operation.name

    def headers_(operation_name: str) -> dict[str, str]:
        return headers(operation_name, account)

    shape = operation.input_shape
    cases: list[Case] = []
    base = valid(shape, rng) if shape is not None else {}
    cases.append(Case(name, json.dumps(base).encode(), headers_(name), "valid-ish"))
    if shape is None:
        return cases
    for member in shape.required_members:
        body = {k: v for k, v in base.items() if k != member}
        cases.append(Case(name, json.dumps(body).encode(), headers_(name), f"missing:{member}"))
    for member_name, member in _members(shape):
        for what, value in wrong_values(member, rng):
            body = {**base, member_name: value}
            cases.append(Case(name, _dumps(body), headers_(name), f"{what}:{member_name}"))
        if member.type_name == "list" and isinstance(member, ListShape):
            for what, value in wrong_values(member.member, rng)[:4]:
                cases.append(Case(name, _dumps({**base, member_name: [value]}), headers_(name),
                                  f"{what}:{member_name}[0]"))
        if member.type_name == "structure" and isinstance(member, StructureShape):
            inner = valid(member, rng)
            for inner_name, inner_member in _members(member)[:6]:
                for what, value in wrong_values(inner_member, rng)[:3]:
                    cases.append(Case(name, _dumps({**base, member_name: {**inner, inner_name: value}}),
                                      headers_(name), f"{what}:{member_name}.{inner_name}"))
    return cases


def _dumps(body: Any) -> bytes:
    return json.dumps(body, ensure_ascii=False).encode("utf-8", errors="surrogatepass")


def wire_cases(rng: random.Random, account: str) -> list[Case]:
    """Bodies and headers no SDK sends."""
    operation = rng.choice(model().operation_names)
    h = headers(operation, account)
    return [
        Case(operation, b"{not json", h, "wire:non-json"),
        Case(operation, b"", h, "wire:empty"),
        Case(operation, b"[]", h, "wire:array"),
        Case(operation, b"null", h, "wire:null"),
        Case(operation, b'"text"', h, "wire:string"),
        Case(operation, b"\xff\xfe\xfa", h, "wire:not-utf8"),
        Case(operation, b"[" * 20000 + b"]" * 20000, h, "wire:deep-array"),
        Case(operation, b'{"a":' * 5000 + b"1" + b"}" * 5000, h, "wire:deep-object"),
        Case(operation, b'{"x": 1e400}', h, "wire:huge-number"),
        Case(operation, b'{"a": 1, "a": 2}', h, "wire:duplicate-keys"),
        Case(operation, b"{}", {**h, "Content-Type": "text/plain"}, "wire:content-type"),
        Case(operation, b"{}", {k: v for k, v in h.items() if k != "X-Amz-Target"}, "wire:no-target"),
        Case("Nope", b"{}", {**h, "X-Amz-Target": f"{TARGET_PREFIX}.NoSuchOperation"}, "wire:unknown-target"),
        Case("Nope", b"{}", {**h, "X-Amz-Target": "Other.Service"}, "wire:other-service"),
        Case(operation, b"{}", {**h, "Authorization": "garbage"}, "wire:bad-authorization"),
        Case(operation, b"{}", {**h, "Authorization": "AWS4-HMAC-SHA256 Credential=/x"}, "wire:short-credential"),
        Case(operation, b'{"x": "' + b"a" * (12 * 1024 * 1024) + b'"}', h, "wire:12MiB"),
    ]


def cases(seed: int, count: int, account: str = "123456789012") -> Iterator[Case]:
    """``count`` cases, reproducible from ``seed``: every operation's cases in a shuffled order, wire abuses
    between them, round after round."""
    rng = random.Random(seed)
    produced = 0
    while produced < count:
        batch = [case for name in model().operation_names
                 for case in _operation_cases(model().operation_model(name), rng, account)] + wire_cases(rng, account)
        rng.shuffle(batch)
        for case in batch:
            if produced >= count:
                return
            produced += 1
            yield case


def check(status: int, body: bytes, seconds: float) -> str | None:
    """What is wrong with an answer, or None."""
    if seconds > 10:
        return f"slow: {seconds:.1f}s"
    try:
        document = json.loads(body) if body else None
    except ValueError:
        return f"non-JSON body (HTTP {status}): {body[:120]!r}"
    if status < 400:
        return None
    if not isinstance(document, dict) or not isinstance(document.get("__type"), str) or "message" not in document:
        return f"not AWS-shaped (HTTP {status}): {body[:200]!r}"
    if status >= 500 and not (status == 501 and document["__type"] == "NotImplementedException"):
        return f"HTTP {status} {document['__type']}: {document.get('message')}"
    return None
