"""The one JSON codec against what Go's encoding/json writes."""

from __future__ import annotations

from typing import Any

import pytest

from sidecar import gojson


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ({"b": 1, "a": [True, None]}, '{"a":[true,null],"b":1}'),
        ("<a&b>", '"\\u003ca\\u0026b\\u003e"'),
        ("\u2028\u2029", '"\\u2028\\u2029"'),
        ("x\ud800y", '"x\ufffdy"'),
        ("\x01\x7f\b\f", '"\\u0001\x7f\\b\\f"'),
        ("é", '"é"'),
        (1.5e-7, "1.5e-7"),
        (1e21, "1e+21"),
        (1e20, "100000000000000000000"),
        (-0.0, "-0"),
        (0.1, "0.1"),
        (gojson.Number("1.50"), "1.50"),
    ],
)
def test_dumps_writes_as_go(value: Any, text: str) -> None:
    assert gojson.dumps(value) == text


def test_struct_order_is_kept_when_asked() -> None:
    assert gojson.dumps({"z": 1, "a": {"y": 2, "b": 3}}, sort_keys=False) == (
        '{"z":1,"a":{"y":2,"b":3}}'
    )


@pytest.mark.parametrize("depth", [257, 390, 900, 10_000])
def test_deep_nesting_is_a_decode_error(depth: int) -> None:
    doc = b"[" * depth + b"]" * depth
    for load in (gojson.loads_strict, gojson.loads_precise, gojson.loads_floats):
        with pytest.raises(gojson.GoJSONError):
            load(doc)


@pytest.mark.parametrize("doc", [b"NaN", b"1e400", b"-Infinity"])
def test_numbers_beyond_float64_are_errors(doc: bytes) -> None:
    with pytest.raises(gojson.GoJSONError):
        gojson.loads_strict(doc)


def test_nesting_up_to_the_bound_decodes_and_strings_do_not_count() -> None:
    doc = "[" * 256 + '"[[[[' + "[" * 300 + '"' + "]" * 256
    assert gojson.loads_strict(doc) is not None
