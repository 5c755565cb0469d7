"""A red audit can be recovered without rewriting history (`audit --accept`), violations are
refused before they are committed (`audit --staged`, the pre-commit hook), and a case entered
with its past events is an initial load, not back-dating. Real git repositories."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from gitledger import CASE_PATH, make_ledger

from relancegit.git.accepted import ACCEPTED_NAME

ACCEPTED = f"ledger/{ACCEPTED_NAME}"


@pytest.fixture
def red(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A ledger whose second commit edits a committed invoice amount: the audit is red."""
    repo = make_ledger(tmp_path, monkeypatch)
    repo.at("2026-10-05")
    repo.replace("amount: 1500.00", "amount: 1600.00")
    bad = repo.commit("Fix the amount in place")
    assert repo.run("audit").exit_code == 1
    return repo, bad


def test_accepting_a_reviewed_violation_makes_the_audit_green(red):
    repo, bad = red
    done = repo.run("audit", "--accept", bad[:8], "--reason", "Montant corrigé selon l'avoir AV-12 (revue du 5/10)")
    assert done.exit_code == 0, done.output
    assert f"accepted 1 violation(s) of {bad[:8]}" in done.output
    assert repo.run("audit").exit_code == 1  # not yet committed: the committed history decides
    repo.at("2026-10-06")
    repo.commit("audit: accept", ACCEPTED)
    report = json.loads(repo.run("audit", "--format", "json").output)
    assert report["ok"] is True and report["violations"] == []
    [accepted] = report["accepted"]
    assert accepted["commit"] == bad and accepted["reason"] == "Montant corrigé selon l'avoir AV-12 (revue du 5/10)"
    text = repo.run("audit").output
    assert "accepted: " in text and "(reason: Montant corrigé" in text


def test_the_accepted_file_is_audited_itself(red):
    repo, bad = red
    repo.run("audit", "--accept", bad, "--reason", "revue faite")
    repo.at("2026-10-06")
    repo.commit("audit: accept", ACCEPTED)
    repo.replace("revue faite", "revue faite par personne", ACCEPTED)
    repo.at("2026-10-07")
    rewritten = repo.commit("edit the acceptance")
    report = json.loads(repo.run("audit", "--format", "json").output)
    assert [(v["commit"], v["file"], v["message"]) for v in report["violations"]] == [
        (rewritten, ACCEPTED, f"accepted entry 1 (commit {bad[:8]}) changed: append-only")
    ]


def test_accept_refuses_a_commit_without_violation_or_without_reason(red):
    repo, bad = red
    first = repo.git("rev-list", "--max-parents=0", "HEAD").strip()
    refused = repo.run("audit", "--accept", first, "--reason", "rien")
    assert refused.exit_code == 1 and f"commit {first[:8]} has no audit violation to accept" in refused.output
    assert repo.run("audit", "--accept", bad).exit_code == 2
    assert not (repo.root / ACCEPTED).exists()


def test_the_red_audit_explains_how_to_recover(red):
    repo, _ = red
    text = repo.run("audit").output
    assert "a `void` of the wrong event" in text and "relancegit audit --accept COMMIT --reason TEXT" in text


def test_staged_edit_of_a_committed_event_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    repo = make_ledger(tmp_path, monkeypatch)
    repo.replace("step: reminder-1, channel: email", "step: reminder-2, channel: email")
    repo.git("add", "-A")
    refused = repo.run("audit", "--staged")
    assert refused.exit_code == 1
    assert "relancegit: error: ledger/cases/2026/2026-0042.yaml: event 2" in refused.output
    assert "commit refused: committed events are never edited" in refused.output
    repo.git("reset", "-q", "--hard")
    repo.write(CASE_PATH, repo.read().decode() + "  - {date: 2026-10-20, type: note, note: appended}\n")
    repo.git("add", "-A")
    assert repo.run("audit", "--staged").exit_code == 0


def test_a_case_added_with_past_events_is_an_initial_load(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Ten events from August to October entered on 1 December: no back-dating warning. An event
    appended later with an old date still is one."""
    repo = make_ledger(tmp_path, monkeypatch)
    events = "".join(f"  - {{date: 2026-08-{day:02d}, type: note, note: history {day}}}\n" for day in range(1, 11))
    old_case = (
        "id: 2026-0001\nclient: acme-industrie\ninvoices:\n"
        "  - {number: F2026-0001, date: 2026-06-01, due: 2026-07-01, amount: 900.00}\n"
        f"events:\n{events}"
    )
    repo.write("ledger/cases/2026/2026-0001.yaml", old_case)
    repo.at("2026-12-01")
    repo.commit("Initial load of an old case")
    report = json.loads(repo.run("audit", "--format", "json").output)
    assert report["ok"] and report["warnings"] == []
    repo.write(
        "ledger/cases/2026/2026-0001.yaml", old_case + "  - {date: 2026-09-01, type: note, note: remembered late}\n"
    )
    repo.at("2026-12-02")
    repo.commit("A forgotten call")
    report = json.loads(repo.run("audit", "--format", "json").output)
    assert [w["message"] for w in report["warnings"]] == [
        "back-dated event, recorded 92 days after its date: 2026-09-01 note note=remembered late"
    ]


def test_adding_the_receipt_of_a_registered_letter_is_not_a_violation(tmp_path: Path, monkeypatch):
    """The acknowledgement of receipt comes back days after the letter was recorded: adding
    `received:` to that reminder is the one change to a committed event the audit accepts;
    changing it afterwards, or adding anything else, is still a violation."""
    repo = make_ledger(tmp_path, monkeypatch)
    letter = "  - {date: 2026-10-20, type: reminder, step: formal-notice, channel: registered-letter}\n"
    repo.write(CASE_PATH, repo.read().decode() + letter)
    repo.at("2026-10-20")
    repo.commit("formal notice sent")
    repo.replace("channel: registered-letter}", "channel: registered-letter, received: 2026-10-23}")
    repo.git("add", "-A")
    assert repo.run("audit", "--staged").exit_code == 0  # the pre-commit hook lets it through
    repo.at("2026-10-24")
    repo.commit("receipt of the formal notice")
    report = json.loads(repo.run("audit", "--format", "json").output)
    assert report["ok"] and report["violations"] == []
    repo.replace("received: 2026-10-23", "received: 2026-10-25")
    repo.at("2026-10-25")
    moved = repo.commit("receipt date changed")
    report = json.loads(repo.run("audit", "--format", "json").output)
    assert [(v["commit"], "modified" in v["message"]) for v in report["violations"]] == [(moved, True)]
