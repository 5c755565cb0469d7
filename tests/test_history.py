"""`relancegit history CASE`: per commit, what changed in ledger terms, following renames."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from gitledger import CASE_PATH, GitLedger, make_ledger

from relancegit.git.history import diff_versions, event_changes


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> GitLedger:
    repo = make_ledger(tmp_path, monkeypatch)
    repo.at("2026-10-16")
    assert repo.run("record", "2026-0042", "call", "outcome=reached", "--date", "2026-10-16", "--commit").exit_code == 0
    repo.at("2026-10-20")
    repo.replace("amount: 1500.00", "amount: 1400.00")
    repo.replace("client: acme-industrie", "client: acme-industrie\npolicy: default")
    repo.commit("Correct the invoice")
    repo.at("2026-10-21")
    repo.git("mv", CASE_PATH, "ledger/cases/2026-0042.yaml")
    repo.commit("Flatten the cases folder")
    repo.at("2026-10-30")
    assert repo.run("record", "2026-0042", "payment", "amount=750", "--commit").exit_code == 0
    return repo


def test_history_lists_each_commit_with_ledger_changes(repo: GitLedger) -> None:
    result = repo.run("--format", "json", "history", "2026-0042")
    assert result.exit_code == 0, result.output
    entries = json.loads(result.output)
    assert [e["message"].split("\n")[0] for e in entries] == [
        "Open case 2026-0042",
        "2026-0042: call reached",
        "Correct the invoice",
        "Flatten the cases folder",
        "2026-0042: payment 750.00 EUR",
    ]
    assert {e["author"] for e in entries} == {"Claire Martin"}
    assert entries[1]["date"] == "2026-10-16T12:00:00+02:00"
    kinds = [[c["kind"] for c in e["changes"]] for e in entries]
    assert kinds[0][0] == "created"
    assert kinds[1] == ["event-added"]
    assert sorted(kinds[2]) == ["field-changed", "invoice-changed"]
    assert kinds[3] == ["renamed"]
    assert entries[3]["renamed_from"] == CASE_PATH
    assert entries[4]["changes"][0]["description"] == ("event added: 2026-10-30 payment amount=750.00 by=Claire Martin")
    invoice = next(c for c in entries[2]["changes"] if c["kind"] == "invoice-changed")
    assert invoice == {
        "kind": "invoice-changed",
        "description": "invoice 1 (F2026-0042 1500.00 due 2026-10-01): amount 1500.00 → 1400.00",
        "violation": True,
    }


def test_history_text(repo: GitLedger) -> None:
    result = repo.run("history", "2026-0042")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].endswith("2026-10-02 12:00  Claire Martin  Open case 2026-0042")
    assert "    + event added: 2026-10-16 call outcome=reached by=Claire Martin" in lines
    assert "    ! invoice 1 (F2026-0042 1500.00 due 2026-10-01): amount 1500.00 → 1400.00" in lines
    assert "    ~ policy set to default" in lines
    assert f"    ~ renamed from {CASE_PATH}" in lines


def test_history_survives_an_unreadable_revision(repo: GitLedger) -> None:
    moved = "ledger/cases/2026-0042.yaml"
    repo.replace("id: 2026-0042", "id: [2026-0042", moved)
    repo.commit("Oops")
    repo.replace("id: [2026-0042", "id: 2026-0042", moved)
    repo.replace("amount: 750,", "amount: 700,", moved)
    repo.commit("Fix")
    entries = json.loads(repo.run("--format", "json", "history", "2026-0042").output)
    assert entries[-2]["changes"][0]["kind"] == "unreadable"
    # Compared with the last readable revision, through the broken one.
    assert [c["kind"] for c in entries[-1]["changes"]] == ["event-modified"]


def test_history_of_an_unknown_case(repo: GitLedger) -> None:
    result = repo.run("history", "2099-0001")
    assert result.exit_code == 1
    assert "unknown case or invoice number '2099-0001'" in result.stderr


def test_event_changes_classifies_appends_and_rewrites() -> None:
    a, b, c = ({"date": d, "type": "note"} for d in ("2026-01-01", "2026-01-02", "2026-01-03"))
    assert [x.kind for x in event_changes([a, b], [a, b, c])] == ["event-added"]
    assert [x.kind for x in event_changes([a, b], [a])] == ["event-removed"]
    assert [x.kind for x in event_changes([a, b], [a, c, b])] == ["event-inserted"]
    assert [x.kind for x in event_changes([a, b], [a, {**b, "note": "x"}])] == ["event-modified"]
    assert all(x.violation for x in event_changes([a, b], [b, a]))


def test_same_values_written_differently_are_no_change() -> None:
    from decimal import Decimal

    old = {"events": [{"date": "d", "type": "payment", "amount": Decimal("750")}]}
    new = {"events": [{"type": "payment", "amount": Decimal("750.00"), "date": "d"}]}
    assert diff_versions(old, new) == []


def test_a_value_quoted_or_not_is_the_same_value() -> None:
    from datetime import date
    from decimal import Decimal

    old = {
        "invoices": [
            {"number": "F1", "date": date(2026, 9, 1), "due": date(2026, 10, 1), "amount": Decimal("10320.00")}
        ],
        "events": [{"date": date(2026, 10, 30), "type": "payment", "amount": 750, "ref": 8812}],
    }
    new = {
        "invoices": [{"number": "F1", "date": "2026-09-01", "due": "2026-10-01", "amount": "10320.00"}],
        "events": [{"date": "2026-10-30", "type": "payment", "amount": "750.00", "ref": "8812"}],
    }
    assert diff_versions(old, new) == []
    changed = {**new, "invoices": [{**new["invoices"][0], "amount": "10320.01"}]}
    [change] = diff_versions(old, changed)
    assert change.violation
    assert change.text == "invoice 1 (F1 10320.00 due 2026-10-01): amount 10320.00 → 10320.01"
    # A text that reads as a number is still compared as the text the model keeps.
    assert diff_versions({"events": [{"ref": "1.50"}]}, {"events": [{"ref": "1.5"}]}) != []
