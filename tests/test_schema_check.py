"""The committed JSON Schemas, run by check-jsonschema as a user or CI would, say what `check` says.

One file per problem in tests/data/schema-bad/: the schema refuses it, naming the problem and
where it is, and `relancegit check` refuses it too. check-jsonschema runs with the local schema
files and an unreachable proxy, so a download attempt (schema or metaschema) would fail the test.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import DEMO, REPO

from relancegit.cli import main

BAD = REPO / "tests" / "data" / "schema-bad"
SCHEMAS = REPO / "schemas"
EVENT_TYPES = (
    "['acknowledgement', 'call', 'credit-note', 'dispute', 'dispute-resolved', 'escalation', 'note', "
    "'pause', 'payment', 'plan', 'promise', 'reminder', 'title', 'void', 'write-off']"
)


def check_jsonschema(schema: str, *files: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO / "tests"),
        # Nothing listens on port 9 of 127.0.0.1: any download would fail.
        "HTTP_PROXY": "http://127.0.0.1:9",
        "HTTPS_PROXY": "http://127.0.0.1:9",
        "NO_PROXY": "",
    }
    command = [sys.executable, "-m", "check_jsonschema", "--schemafile", str(SCHEMAS / schema)]
    command += ["--validator-class", "schema_validator:Validator", "--color", "never"]
    return subprocess.run([*command, *map(str, files)], capture_output=True, text=True, env=env, timeout=120)


def test_demo_passes():
    for schema, files in [
        ("config.schema.json", [DEMO / "relancegit.yaml"]),
        ("client.schema.json", sorted((DEMO / "clients").glob("*.yaml"))),
        ("case.schema.json", sorted((DEMO / "cases").rglob("*.yaml"))),
    ]:
        done = check_jsonschema(schema, *files)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "ok -- validation done" in done.stdout


def test_amounts_with_two_decimals_pass(tmp_path: Path):
    """Amounts that a float division gets wrong (19.99 / 0.01 = 1998.9999999999998) are accepted."""
    text = (BAD / "amount-three-decimals.yaml").read_text(encoding="utf-8")
    for amount in ("19.99", "0.07", "1234567.89", "4.35", "1500", "'7.50'"):
        path = tmp_path / "case.yaml"
        path.write_text(text.replace("amount: 7.505", f"amount: {amount}"), encoding="utf-8")
        done = check_jsonschema("case.schema.json", path)
        assert done.returncode == 0, (amount, done.stdout)


CORPUS = [
    ("payement.yaml", f"$.events[1].type: 'payement' is not one of {EVENT_TYPES}"),
    ("unknown-event-type.yaml", f"$.events[0].type: 'relance' is not one of {EVENT_TYPES}"),
    (
        "channel-courrier.yaml",
        "$.events[0].channel: 'courrier' is not one of "
        "['email', 'sms', 'phone', 'letter', 'registered-letter', 'handover', None]",
    ),
    ("call-outcome.yaml", "$.events[0].outcome: 'busy' is not one of ['reached', 'no-answer', 'voicemail']"),
    ("amount-three-decimals.yaml", "$.invoices[0].amount: 7.505 is not a multiple of 0.01"),
    ("negative-amount.yaml", "$.events[0].amount: -750 is less than or equal to the minimum of 0"),
    ("decimal-comma.yaml", r"$.invoices[0].amount: '1500,00' does not match '^\\d{1,12}(\\.\\d{1,2})?$'"),
    ("bad-date.yaml", "$.invoices[0].date: '2026-02-30' is not a 'date'"),
    ("french-date.yaml", "$.events[0].date: '12/10/2026' is not a 'date'"),
    ("unknown-key.yaml", "$: Additional properties are not allowed ('colour' was unexpected)"),
    ("key-of-another-event.yaml", "$.events[0]: Additional properties are not allowed ('amount' was unexpected)"),
    ("missing-key.yaml", "$: 'client' is a required property"),
    (
        "config-step-channel.yaml",
        "$.policies.default.steps[0].channel: 'courrier' is not one of "
        "['email', 'sms', 'phone', 'letter', 'registered-letter', 'handover']",
    ),
    ("client-credit-limit.yaml", "$.credit_limit: 1500.505 is not a multiple of 0.01"),
]
# Which schema checks a corpus file, and where it goes in a ledger: by its name's prefix.
KINDS = {
    "config-": ("config.schema.json", "relancegit.yaml"),
    "client-": ("client.schema.json", "clients/acme.yaml"),
}
CASE_KIND = ("case.schema.json", "cases/2026/2026-0042.yaml")


def kind(name: str) -> tuple[str, str]:
    return next((v for prefix, v in KINDS.items() if name.startswith(prefix)), CASE_KIND)


def test_corpus_is_complete():
    assert sorted(name for name, _ in CORPUS) == sorted(p.name for p in BAD.glob("*.yaml"))


@pytest.mark.parametrize(("name", "expected"), CORPUS, ids=[name for name, _ in CORPUS])
def test_schema_names_the_problem(name: str, expected: str):
    done = check_jsonschema(kind(name)[0], BAD / name)
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"{BAD / name}::{expected}" in done.stdout, done.stdout
    assert "is not valid under any of the given schemas" not in done.stdout


@pytest.mark.parametrize(("name", "expected"), CORPUS, ids=[name for name, _ in CORPUS])
def test_check_refuses_it_too(name: str, expected: str, make_ledger, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("RELANCEGIT_TODAY", "2026-11-23")
    text = (BAD / name).read_text(encoding="utf-8")
    target = kind(name)[1]
    root = make_ledger({target: text})
    result = CliRunner().invoke(main, ["--ledger", str(root), "check"])
    assert result.exit_code == 1, result.output
    assert re.search(rf"{re.escape(Path(target).name)}:\d+:\d+: error: ", result.output), result.output
