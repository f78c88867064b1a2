"""Round trip over every operation of the model (STYLE 19).

Input: botocore serializes a synthetic valid request for each operation and Pigeon's validator accepts it
and hands back the same values. Output: Pigeon serializes a synthetic output and botocore's own parser reads
back exactly what went in. Catches drift between the wire shapes and Pigeon's protocol layer at once.
"""

from __future__ import annotations

import datetime
import json

import pytest
from botocore.parsers import create_parser
from botocore.serialize import create_serializer

from pigeon.protocol.model import operation, operation_names
from pigeon.protocol.serialize import serialize
from pigeon.protocol.validate import validate

SAMPLES = {
    "[A-Z]{2}": "US",
    "arn:\\S+": "arn:aws:sns:us-east-1:123456789012:topic",
    "arn:[A-Za-z0-9_:/-]+": "arn:aws:iam::123456789012:role/pigeon",
    "\\+[({\\s\\[]?[1-9][0-9(){}\\s\\[\\],.-]{1,38}": "+12065550100",
    "\\+[1-9][0-9]{1,18}": "+12065550100",
    "\\+?[1-9][0-9]{1,18}": "12065550100",
    "[\\d]+": "123",
    "[a-z]{2}(-[A-Z]{2})?": "en-US",
    "s3://([a-z0-9\\.-]{3,63})/(.+)": "s3://bucket/key.png",
    "[0-9]{0,2}\\.[0-9]{1,5}": "0.05",
}
TIMESTAMP = datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)


def sample_string(shape) -> str:
    if shape.enum:
        return shape.enum[0]
    value = SAMPLES.get(shape.metadata.get("pattern", ""), "abc")
    low, high = shape.metadata.get("min", 0), shape.metadata.get("max", 10_000)
    if len(value) < low:
        value = value + "a" * (low - len(value))
    return value[:high]


def synthesize(shape, depth: int = 0, for_output: bool = False):
    kind = shape.type_name
    if kind == "structure":
        if depth > 4:
            return {}
        return {name: synthesize(member, depth + 1, for_output) for name, member in shape.members.items()}
    if kind == "list":
        count = max(1, shape.metadata.get("min", 1))
        return [synthesize(shape.member, depth + 1, for_output) for _ in range(min(count, 2))]
    if kind == "map":
        return {sample_string(shape.key): synthesize(shape.value, depth + 1, for_output)}
    if kind == "string":
        return sample_string(shape)
    if kind in ("integer", "long"):
        return max(shape.metadata.get("min", 1), 1)
    if kind in ("double", "float"):
        return 1.5
    if kind == "boolean":
        return True
    if kind == "timestamp":
        return TIMESTAMP
    if kind == "blob":
        return b"%PDF-1.4 pigeon"
    raise AssertionError(kind)


OPERATIONS = sorted(operation_names())


@pytest.mark.parametrize("name", OPERATIONS)
def test_botocore_requests_are_understood(name):
    model = operation(name)
    params = synthesize(model.input_shape) if model.input_shape else {}
    request = create_serializer("json").serialize_to_request(params, model)
    assert request["headers"]["X-Amz-Target"] == f"PinpointSMSVoiceV2.{name}"
    document = json.loads(request["body"] or b"{}")
    converted = validate(model.input_shape, document)
    expected = json.loads(json.dumps(params, default=lambda v: v.timestamp() if isinstance(v, datetime.datetime) else v.decode()))
    normalized = json.loads(json.dumps(converted, default=lambda v: v.decode()))
    assert normalized == expected


@pytest.mark.parametrize("name", OPERATIONS)
def test_pigeon_responses_parse_back_unchanged(name):
    model = operation(name)
    assert model.output_shape is not None, "every operation of this model has an output"
    result = synthesize(model.output_shape, for_output=True)
    body = json.dumps(serialize(model.output_shape, result)).encode()
    parsed = create_parser("json").parse({"status_code": 200, "headers": {}, "body": body}, model.output_shape)
    parsed.pop("ResponseMetadata", None)
    assert parsed == result
