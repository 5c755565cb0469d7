"""Property tests: whatever is in a ledger file, loading never raises and every problem is located."""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path

import yaml
from click.testing import CliRunner
from conftest import CASE, CLIENT, CONFIG
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from relancegit.cli import main
from relancegit.model import EVENT_TYPES
from relancegit.read.load import load_ledger

# YAML 1.1 line breaks, which libyaml counts (\r\n counts twice here: an upper bound).
YAML_LINE_BREAKS = ("\n", "\r", "\x85", "\u2028", "\u2029")
FUZZ = settings(
    max_examples=int(__import__("os").environ.get("FUZZ_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TODAY = date(2026, 11, 23)


def load_case_text(content: str | bytes):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "ledger"
        (root / "clients").mkdir(parents=True)
        (root / "cases").mkdir()
        (root / "relancegit.yaml").write_text(CONFIG)
        (root / "clients/acme.yaml").write_text(CLIENT)
        path = root / "cases/2026-0042.yaml"
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        result = load_ledger(root, TODAY)
        text = content.decode("utf-8", "replace") if isinstance(content, bytes) else content
        lines = sum(text.count(c) for c in YAML_LINE_BREAKS) + 1
        for problem in result.problems:
            assert 1 <= problem.line <= lines + 1, problem
            assert problem.column >= 1, problem
            assert problem.message
        return result


YAML_CHARS = st.sampled_from([*":-[]{}#&*!|>'\"\n \t,?%@`0123456789.abcdefz_é", "\x00", "\x85", "\ufeff"])


@FUZZ
@given(st.binary(max_size=300))
def test_random_bytes(raw: bytes):
    load_case_text(raw)


@FUZZ
@given(st.text(YAML_CHARS, max_size=200))
def test_random_yaml_like_text(text: str):
    load_case_text(text)


@FUZZ
@given(
    st.lists(
        st.tuples(st.integers(0, len(CASE)), st.integers(0, 3), st.text(YAML_CHARS, max_size=3)), min_size=1, max_size=4
    )
)
def test_mutated_valid_case(edits: list[tuple[int, int, str]]):
    text = CASE
    for position, deleted, inserted in edits:
        text = text[:position] + inserted + text[position + deleted :]
    load_case_text(text)


SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=True),
    st.text(max_size=12),
    st.dates().map(str),
    st.sampled_from(["2026-02-30", "1500.005", "-1", "reminder-1", "acme"]),
)
KEYS = st.sampled_from(
    [
        "id",
        "client",
        "policy",
        "invoices",
        "events",
        "number",
        "date",
        "due",
        "amount",
        "type",
        "step",
        "installments",
        "until",
        "outcome",
        "invoice",
        "to",
        "reason",
        "zzz",
    ]
)


def structures():
    return st.recursive(
        SCALARS,
        lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(KEYS, inner, max_size=5)),
        max_leaves=25,
    )


EVENT = st.fixed_dictionaries(
    {"date": st.dates(date(2026, 1, 1), date(2027, 1, 1)), "type": st.sampled_from(sorted(EVENT_TYPES))},
    optional={
        "amount": SCALARS,
        "step": SCALARS,
        "due": SCALARS,
        "until": SCALARS,
        "installments": structures(),
        "outcome": SCALARS,
        "invoice": SCALARS,
        "to": SCALARS,
        "reason": SCALARS,
    },
)


@FUZZ
@given(st.dictionaries(KEYS, structures(), max_size=6), st.lists(EVENT, max_size=6))
def test_random_structures(top: dict, events: list):
    top = {"id": "2026-0042", "client": "acme", **top}
    if events:
        top["events"] = events
    load_case_text(yaml.safe_dump(top, allow_unicode=True))


@settings(max_examples=40, deadline=None)
@given(st.text(YAML_CHARS, max_size=120))
def test_cli_check_exit_code_is_0_or_1(text: str):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "ledger"
        (root / "clients").mkdir(parents=True)
        (root / "relancegit.yaml").write_text(CONFIG)
        (root / "clients/acme.yaml").write_text(text, encoding="utf-8")
        result = CliRunner().invoke(main, ["--ledger", str(root), "--today", "2026-11-23", "check"])
        assert result.exception is None or isinstance(result.exception, SystemExit)
        assert result.exit_code in (0, 1)
