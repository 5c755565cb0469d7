"""The lean constructor (`speed.fastyaml.FastLoader`) gives exactly what PyYAML's safe constructor
with our rules gives: the same data, or the same error at the same position."""

from __future__ import annotations

import os
from datetime import date
from decimal import Decimal

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from relancegit.read import yamlsafe
from relancegit.read.yamlsafe import YamlProblem, parse_yaml
from relancegit.speed.fastyaml import FastLoader


def reference(text: str):
    """What the plain loader (PyYAML's constructor, our rules) makes of a text without & or <<."""
    loader = yamlsafe.LedgerLoader(text)
    try:
        return ("data", loader.get_single_data())
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        return ("error", yamlsafe._yaml_message(exc), mark.line + 1 if mark else 1, mark.column + 1 if mark else 1)
    finally:
        loader.dispose()


def fast(text: str):
    try:
        return ("data", parse_yaml(text.encode("utf-8"), FastLoader))
    except YamlProblem as exc:
        return ("error", exc.message, exc.line, exc.column)


def same(text: str) -> None:
    expected, got = reference(text), fast(text)
    assert got == expected
    assert [type(v) for v in _leaves(got)] == [type(v) for v in _leaves(expected)]


def _leaves(value):
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _leaves(k)
            yield from _leaves(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _leaves(v)
    else:
        yield value


@pytest.mark.parametrize(
    "text",
    [
        "id: 2026-0042\namount: 1200.50\ndue: 2026-02-28\n",
        "a: 1_000\nb: 0x1F\nc: 0o17\nd: 017\ne: 1:30\nf: -12\ng: +3\n",
        "a: yes\nb: No\nc: on\nd: OFF\ne: true\nf: ~\ng:\nh: null\n",
        "a: .inf\nb: -.Inf\nc: .nan\nd: 1e3\ne: 1_0.5\nf: 6.8523015e+5\n",
        "a: 2026-02-30\nb: 2026-1-5\nc: 2026-11-23 10:00:00\nd: 2026-11-23T10:00:00Z\n",
        "a: '2026-01-05'\nb: \"1200.00\"\nc: 'yes'\n",
        "a: !!str 12\nb: !!int '12'\nc: !!float '1.5'\n",
        "a: !!binary aGVsbG8=\n",
        "a: !!set {x, y}\n",
        "a: !!python/object:os.system x\n",
        "!!omap [a: 1]\n",
        "a: 1\na: 2\n",
        "x:\n  - {k: 1, k: 2}\n",
        "? [a, b]\n: 1\n",
        "? {a: 1}\n: 1\n",
        "a: =\n",
        "[" * 400 + "]" * 400,
        "- " * 300 + "x\n",
        "a: [1, {b: [2, 3, {c: d}]}]\n",
        "--- a\n--- b\n",
        "key with spaces: value with: colon\n",
        "2026: year key\n1.5: float key\nnull: n\ntrue: t\n",
        'events:\n  - {date: 2026-11-23, type: note, note: "x"}\n',
        "a: |\n  two\n  lines\nb: >\n  folded\n  text\n",
    ],
)
def test_same_as_pyyaml(text: str):
    assert not any(marker in text for marker in ("&", "<<"))
    same(text)


def test_types_and_values():
    data = parse_yaml(b"amount: 1200.50\ndue: 2026-02-28\ncount: 3\nok: true\nnone: ~\n", FastLoader)
    assert data == {"amount": Decimal("1200.50"), "due": date(2026, 2, 28), "count": 3, "ok": True, "none": None}
    assert isinstance(data["amount"], Decimal)


def test_duplicate_key_keeps_its_position():
    with pytest.raises(YamlProblem) as exc:
        parse_yaml(b"id: a\nevents:\n  - {date: 2026-01-01, type: note, date: 2026-01-02}\n", FastLoader)
    # "  - {date: 2026-01-01, type: note, date: …": the second "date" starts at column 36.
    assert (exc.value.message, exc.value.line, exc.value.column) == ("duplicate key 'date'", 3, 36)


SCALARS = st.sampled_from(
    [
        "1", "-2", "1_000", "0x1F", "0o7", "010", "1:20", "1.5", "1e3", ".inf", "-.nan", "1_2.3",
        "2026-01-05", "2026-02-30", "2026-1-5", "2026-01-05 12:00:00", "yes", "No", "off", "~", "null",
        "", "text", "'quoted'", '"2026-01-05"', "!!str 5", "!!int '7'", "!!binary aGk=", "=", "é",
    ]
)  # fmt: skip
KEYS = st.sampled_from(["a", "b", "date", "1", "2026-01-05", "yes", "~", "[x]", "{k: v}"])


@st.composite
def documents(draw, depth: int = 0) -> str:
    if depth > 3 or draw(st.booleans()):
        return draw(SCALARS)
    if draw(st.booleans()):
        items = draw(st.lists(st.tuples(KEYS, st.deferred(lambda: documents(depth + 1))), max_size=4))
        return "{" + ", ".join(f"{k}: {v}" for k, v in items) + "}"
    items = draw(st.lists(st.deferred(lambda: documents(depth + 1)), max_size=4))
    return "[" + ", ".join(items) + "]"


@settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "300")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(documents())
def test_random_documents_same_as_pyyaml(text: str):
    if text.strip():  # an empty file is refused before parsing, by both
        same(text)


@settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", "200")), deadline=None)
@given(st.text(st.sampled_from([*":-[]{}#!|>'\"\n ,?%@`0123456789.abcdefz_é~"]), max_size=80))
def test_random_text_same_as_pyyaml(text: str):
    if text.strip():
        same(text)
