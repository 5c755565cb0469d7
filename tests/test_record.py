"""`relancegit record`: every event type, layout kept byte for byte, refusals, atomicity, --commit."""

from __future__ import annotations

import os
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from gitledger import CASE, CASE_PATH, GitLedger, last_event, make_ledger

from relancegit.problems import RelancegitError
from relancegit.read.load import load_ledger
from relancegit.read.yamlsafe import parse_yaml
from relancegit.write import record as record_module
from relancegit.write.record import build_event
from relancegit.write.splice import LayoutError, append_event, append_to_tail


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> GitLedger:
    return make_ledger(tmp_path, monkeypatch)


def _inserted(old: bytes, new: bytes) -> list[bytes]:
    """The lines of `new` that are not in `old`, checking every other line is untouched."""
    old_lines, new_lines = old.splitlines(keepends=True), new.splitlines(keepends=True)
    start = next((i for i, (a, b) in enumerate(zip(old_lines, new_lines, strict=False)) if a != b), len(old_lines))
    added = len(new_lines) - len(old_lines)
    assert new_lines[:start] == old_lines[:start]
    assert new_lines[start + added :] == old_lines[start:]
    return new_lines[start : start + added]


# --- every event type -----------------------------------------------------------------------

EVENTS: list[tuple[str, list[str], dict[str, Any]]] = [
    ("reminder", ["step=reminder-2", "channel=email"], {"step": "reminder-2", "channel": "email"}),
    (
        "call",
        ["outcome=reached", "step=call", "note=Trésorerie tendue, propose 2 fois"],
        {"outcome": "reached", "step": "call", "note": "Trésorerie tendue, propose 2 fois"},
    ),
    ("promise", ["amount=750", "due=2026-11-15"], {"amount": Decimal("750"), "due": date(2026, 11, 15)}),
    (
        "payment",
        ["amount=750.00", "ref=VIR SEPA 8812", "invoice=F2026-0042"],
        {"amount": Decimal("750.00"), "ref": "VIR SEPA 8812", "invoice": "F2026-0042"},
    ),
    ("credit-note", ["amount=100.5", "number=AV-2026-01"], {"amount": Decimal("100.50"), "number": "AV-2026-01"}),
    (
        "plan",
        ["installments=2026-11-15:750,2026-12-15:750", "signed=true"],
        {
            "installments": [
                {"due": date(2026, 11, 15), "amount": Decimal(750)},
                {"due": date(2026, 12, 15), "amount": Decimal(750)},
            ],
            "signed": True,
        },
    ),
    (
        "dispute",
        ["reason=Livraison incomplète: 2 pièces manquantes"],
        {"reason": "Livraison incomplète: 2 pièces manquantes"},
    ),
    ("pause", ["until=2026-11-30"], {"until": date(2026, 11, 30)}),
    ("escalation", ["to=agency", "ref=DOS-77"], {"to": "agency", "ref": "DOS-77"}),
    ("write-off", ["reason=Liquidation judiciaire"], {"reason": "Liquidation judiciaire"}),
    ("acknowledgement", ["note=Reconnaissance signée"], {"note": "Reconnaissance signée"}),
    ("note", ["note=yes"], {"note": "yes"}),  # `yes` must stay text, not become a boolean
]


@pytest.mark.parametrize(("event_type", "args", "fields"), EVENTS, ids=[e[0] for e in EVENTS])
def test_each_event_type_is_appended_and_reads_back(
    repo: GitLedger, event_type: str, args: list[str], fields: dict[str, Any]
) -> None:
    result = repo.run("record", "2026-0042", event_type, *args)

    assert result.exit_code == 0, result.output
    assert f"recorded {event_type} in" in result.output
    expected = {"date": date(2026, 10, 30), "type": event_type, **fields, "by": "Claire Martin"}
    assert last_event(repo) == expected
    assert list(last_event(repo))[:2] == ["date", "type"]
    loaded = load_ledger(repo.ledger, date(2026, 10, 30))
    assert not loaded.errors
    assert loaded.ledger.cases["2026-0042"].events[-1].type == event_type


def test_dispute_resolved_after_a_dispute(repo: GitLedger) -> None:
    assert repo.run("record", "2026-0042", "dispute", "reason=Prix contesté", "--date", "2026-10-20").exit_code == 0
    result = repo.run("record", "2026-0042", "dispute-resolved")
    assert result.exit_code == 0, result.output
    assert last_event(repo)["type"] == "dispute-resolved"
    assert result.stderr == ""


def test_new_event_keeps_flow_style_and_every_other_byte(repo: GitLedger) -> None:
    before = repo.read()
    assert (
        repo.run("record", "2026-0042", "payment", "amount=750", "ref=VIR SEPA 8812", "--date", "2026-10-20").exit_code
        == 0
    )
    assert _inserted(before, repo.read()) == [
        b"  - {date: 2026-10-20, type: payment, amount: 750, ref: VIR SEPA 8812, by: Claire Martin}\n"
    ]


BLOCK_CASE = """\
id: 2026-0042   # the file name
client: 'acme-industrie'
invoices:
- number: "F2026-0042"
  date: 2026-09-01
  due: 2026-10-01
  amount: 1500.00
events:
    -   date: 2026-09-26
        type: reminder
        step: pre-due
        note: |
          Envoyée par erreur
          un jour trop tôt.

    # the team writes events in block style
    -   date: 2026-10-02
        type: reminder
        step: reminder-1   # first reminder
# trailing comments stay after the events
"""


def test_block_style_is_followed_and_comments_stay(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = make_ledger(tmp_path, monkeypatch, case=BLOCK_CASE)
    before = repo.read()
    result = repo.run(
        "record", "2026-0042", "plan", "installments=2026-11-15:750,2026-12-15:750", "--date", "2026-10-20"
    )
    assert result.exit_code == 0, result.output
    assert b"".join(_inserted(before, repo.read())) == (
        b"    -   date: 2026-10-20\n"
        b"        type: plan\n"
        b"        installments:\n"
        b"          - due: 2026-11-15\n"
        b"            amount: 750\n"
        b"          - due: 2026-12-15\n"
        b"            amount: 750\n"
        b"        by: Claire Martin\n"
    )
    assert b"        step: reminder-1   # first reminder\n    -   date: 2026-10-20\n" in repo.read()
    assert repo.read().endswith(b"# trailing comments stay after the events\n")


@pytest.mark.parametrize("events", ["events: []\n", "events:\n", "events: ~  # none yet\n", ""])
def test_empty_or_missing_events(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, events: str) -> None:
    head = CASE.split("events:")[0]
    repo = make_ledger(tmp_path, monkeypatch, case=head + events)
    result = repo.run("record", "2026-0042", "reminder", "step=reminder-1", "--date", "2026-10-02")
    assert result.exit_code == 0, result.output
    text = repo.read().decode()
    assert text.startswith(head)
    assert "  - {date: 2026-10-02, type: reminder, step: reminder-1, by: Claire Martin}\n" in text
    assert last_event(repo)["step"] == "reminder-1"


def test_crlf_line_endings_and_byte_order_mark_are_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = make_ledger(tmp_path, monkeypatch)
    repo.write(CASE_PATH, b"\xef\xbb\xbf" + CASE.replace("\n", "\r\n").encode())
    before = repo.read()
    assert repo.run("record", "2026-0042", "note", "note=Appel prévu").exit_code == 0
    added = _inserted(before, repo.read())
    assert added == ["  - {date: 2026-10-30, type: note, note: Appel prévu, by: Claire Martin}\r\n".encode()]
    assert repo.read().startswith(b"\xef\xbb\xbf# Dossier")


def test_flow_sequence_of_events(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    head = CASE.split("events:")[0]
    repo = make_ledger(
        tmp_path, monkeypatch, case=head + "events: [{date: 2026-09-26, type: reminder, step: pre-due}]\n"
    )
    assert repo.run("record", "2026-0042", "note", "note=ok", "by=Paul").exit_code == 0
    assert (
        repo.read()
        .decode()
        .endswith(
            "events: [{date: 2026-09-26, type: reminder, step: pre-due}, "
            "{date: 2026-10-30, type: note, note: ok, by: Paul}]\n"
        )
    )


def test_by_given_wins_over_git_user_and_date_option(repo: GitLedger) -> None:
    assert (
        repo.run("record", "2026-0042", "call", "outcome=voicemail", "by=Paul Roux", "--date", "2026-10-05").exit_code
        == 0
    )
    assert last_event(repo) == {"date": date(2026, 10, 5), "type": "call", "outcome": "voicemail", "by": "Paul Roux"}


# --- refusals leave the file identical --------------------------------------------------

REFUSED = [
    (["payment", "amount=abc"], 1, "expected an amount"),
    (["payment", "amount=-5"], 1, "greater than 0"),
    (["payment", "amount=1.234"], 1, "more than 2 decimals"),
    (["promise", "amount=10", "due=2026-02-30"], 1, "invalid date"),
    (["reminder", "step=no-such-step"], 1, "unknown step 'no-such-step'"),
    (["call", "outcome=maybe"], 1, "invalid outcome"),
    (["payment", "amount=10", "invoice=F-NOPE"], 1, "F-NOPE"),
    (["reminder", "step=reminder-2", "--date", "2026-09-01"], 1, "order"),
    (["write-off"], 1, "missing required key 'reason'"),
    (["bounce", "amount=10"], 2, "unknown event type 'bounce'"),
    (["payment", "750"], 2, "expected key=value"),
    (["payment", "amount=1", "amount=2"], 2, "given twice"),
    (["payment", "amout=750"], 2, "unknown key 'amout'"),
    (["plan", "installments=2026-11-15"], 2, "DUE:AMOUNT"),
    (["plan", "installments=2026-11-15:1500", "signed=perhaps"], 2, "true or false"),
    (["payment", "amount=1", "--date", "30/10/2026"], 2, "not a date"),
]


@pytest.mark.parametrize(("args", "code", "message"), REFUSED, ids=[" ".join(a[0]) for a in REFUSED])
def test_refused_inputs_leave_the_file_identical(repo: GitLedger, args: list[str], code: int, message: str) -> None:
    before = repo.read()
    result = repo.run("record", "2026-0042", *args)
    assert result.exit_code == code, result.output
    assert message in result.stderr
    assert "Traceback" not in result.output
    assert repo.read() == before
    assert sorted(p.name for p in (repo.root / "ledger/cases/2026").iterdir()) == ["2026-0042.yaml"]


def test_refusal_points_at_file_line_and_column(repo: GitLedger) -> None:
    result = repo.run("record", "2026-0042", "reminder", "step=no-such-step")
    assert f"{CASE_PATH}:12:" in result.stderr.replace(str(repo.root) + "/", "")


def test_unknown_case(repo: GitLedger) -> None:
    result = repo.run("record", "2099-0001", "note", "note=x")
    assert result.exit_code == 1
    assert "unknown case or invoice number '2099-0001'" in result.stderr


def test_warnings_do_not_block(repo: GitLedger) -> None:
    result = repo.run("record", "2026-0042", "payment", "amount=2000")
    assert result.exit_code == 0, result.output
    assert "warning" in result.stderr  # overpayment
    assert last_event(repo)["amount"] == Decimal(2000)


# --- atomic write -------------------------------------------------------------------------


def test_crash_between_write_and_rename_leaves_the_old_file(repo: GitLedger, monkeypatch: pytest.MonkeyPatch) -> None:
    before = repo.read()

    def crash(src: Any, dst: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(KeyboardInterrupt):
        record_module.record(repo.ledger, "2026-0042", "payment", ["amount=750"], date(2026, 10, 30))
    assert repo.read() == before
    assert sorted(p.name for p in (repo.root / "ledger/cases/2026").iterdir()) == ["2026-0042.yaml"]


def test_failed_rename_is_a_message_not_a_traceback(repo: GitLedger, monkeypatch: pytest.MonkeyPatch) -> None:
    before = repo.read()

    def fail(src: Any, dst: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", fail)
    result = repo.run("record", "2026-0042", "payment", "amount=750")
    assert result.exit_code == 1
    assert "cannot write" in result.stderr and "No space left on device" in result.stderr
    assert repo.read() == before


# --- --commit -------------------------------------------------------------------------------


def test_commit_message_and_trailers(repo: GitLedger) -> None:
    result = repo.run("record", "2026-0042", "payment", "amount=750", "ref=VIR 8812", "--commit")
    assert result.exit_code == 0, result.output
    assert "committed" in result.output
    assert repo.git("log", "-1", "--format=%B") == (
        "2026-0042: payment 750.00 EUR\n\nRelancegit-Case: 2026-0042\nRelancegit-Event: payment\n\n"
    )
    assert repo.git("show", "--name-only", "--format=", "HEAD").split() == [CASE_PATH]
    assert repo.git("status", "--porcelain") == ""


def test_commit_leaves_other_staged_files_staged(repo: GitLedger) -> None:
    repo.write("ledger/clients/other.yaml", "id: other\nname: Other SA\n")
    repo.git("add", "ledger/clients/other.yaml")
    assert repo.run("record", "2026-0042", "note", "note=x", "--commit").exit_code == 0
    assert repo.git("show", "--name-only", "--format=", "HEAD").split() == [CASE_PATH]
    assert repo.git("status", "--porcelain").splitlines() == ["A  ledger/clients/other.yaml"]


@pytest.mark.parametrize("staged", [False, True])
def test_commit_refused_when_the_file_has_other_changes(repo: GitLedger, staged: bool) -> None:
    repo.replace("amount: 1500.00", "amount: 1500.00  # checked")
    if staged:
        repo.git("add", CASE_PATH)
    before = repo.read()
    head = repo.git("rev-parse", "HEAD")
    result = repo.run("record", "2026-0042", "payment", "amount=750", "--commit")
    assert result.exit_code == 1
    assert "uncommitted changes" in result.stderr
    assert repo.read() == before
    assert repo.git("rev-parse", "HEAD") == head


def test_commit_refused_for_a_file_never_committed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = make_ledger(tmp_path, monkeypatch, commit=False)
    result = repo.run("record", "2026-0042", "note", "note=x", "--commit")
    assert result.exit_code == 1
    assert "not committed yet" in result.stderr


def test_failed_commit_restores_the_file(repo: GitLedger) -> None:
    hook = repo.root / ".git/hooks/pre-commit"
    hook.write_text("#!/bin/sh\necho 'ledger frozen' >&2\nexit 1\n")
    hook.chmod(0o755)
    before = repo.read()
    result = repo.run("record", "2026-0042", "note", "note=x", "--commit")
    assert result.exit_code == 1
    assert result.stderr.endswith("ledger frozen; 2026-0042.yaml was left as last committed\n")
    assert repo.read() == before


def test_commit_outside_a_git_repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = make_ledger(tmp_path, monkeypatch, commit=False)
    (tmp_path / ".git").rename(tmp_path / "not-git")
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    result = repo.run("record", "2026-0042", "note", "note=x", "--commit")
    assert result.exit_code == 1
    assert "not in a git repository" in result.stderr


# --- the building blocks --------------------------------------------------------------------


def test_build_event_orders_keys_date_type_fields_note_by() -> None:
    event = build_event("payment", ["note=n", "ref=r", "amount=1.000"], date(2026, 10, 30), by="me")
    assert list(event) == ["date", "type", "amount", "ref", "note", "by"]
    assert event["amount"] == Decimal("1.00")


def test_append_event_refuses_a_flow_root() -> None:
    with pytest.raises(RelancegitError):
        append_event("{id: a, events: []}\n", {"date": date(2026, 1, 1), "type": "note"})


BLOCK_EVENTS = CASE.replace(
    "  - {date: 2026-10-02, type: reminder, step: reminder-1, channel: email}\n",
    "  - date: 2026-10-02\n    type: reminder\n    step: reminder-1\n    # about it\n\n# the end\n",
)
LAYOUTS = {
    "flow items": CASE,
    "block items, comments after": BLOCK_EVENTS,
    "items at the margin": CASE.replace("\n  - {", "\n- {"),
    "no final newline": CASE.rstrip("\n"),
    "comment before the first item": CASE.replace("# append-only\n", "# append-only\n  # first\n\n"),
}


@pytest.mark.parametrize("text", LAYOUTS.values(), ids=LAYOUTS.keys())
def test_the_tail_splice_writes_what_the_composed_splice_writes(text: str) -> None:
    event = {"date": date(2026, 11, 2), "type": "payment", "amount": Decimal("750.00"), "note": "yes"}
    data = parse_yaml(text.encode())
    spliced = append_to_tail(text, event, data)
    assert spliced is not None
    new_text, line, appended = spliced
    assert (new_text, line) == append_event(text, event)
    assert parse_yaml(new_text.encode()) == {**data, "events": [*data["events"], appended]}


@pytest.mark.parametrize(
    "text",
    [CASE.split("events:")[0] + "events: []\n", CASE + "other: 1\n"],
    ids=["no events yet", "events not last"],
)
def test_the_tail_splice_leaves_unusual_layouts_to_the_composer(text: str) -> None:
    event = {"date": date(2026, 11, 2), "type": "note", "note": "x"}
    assert append_to_tail(text, event, parse_yaml(text.encode())) is None


def test_the_tail_splice_refuses_what_does_not_read_back() -> None:
    # The file cut down to its last event is read back and compared with what the file holds.
    text = CASE + "  - {date: 2026-10-03, type: note, note: x}\n"
    data = parse_yaml(text.encode())
    lying = {**data, "events": data["events"][:-1]}  # data that is not this file's
    with pytest.raises(LayoutError, match="would change more than the events"):
        append_to_tail(text, {"date": date(2026, 11, 2), "type": "note", "note": "x"}, lying)
