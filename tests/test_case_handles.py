"""Invoice numbers are case handles; `letter` says what it rendered and whether it is recorded;
a client's promise confirmation is one letter."""

from __future__ import annotations

from click.testing import CliRunner
from conftest import DEMO, DEMO_TODAY

from relancegit.cli import main

TODAY = ["--ledger", str(DEMO), "--today", DEMO_TODAY.isoformat()]


def run(*args: str):
    return CliRunner().invoke(main, [*TODAY, *args])


def test_show_and_letter_accept_an_invoice_number():
    by_number, by_id = run("show", "F2026-0203", "--format", "json"), run("show", "2026-0203", "--format", "json")
    assert by_number.exit_code == 0 and by_number.stdout == by_id.stdout
    assert run("letter", "F2026-0203").stdout == run("letter", "2026-0203").stdout


def test_an_unknown_handle_suggests_close_ones():
    result = run("show", "F2026-0960")
    assert result.exit_code == 1
    assert result.stderr == (
        "relancegit: error: unknown case or invoice number 'F2026-0960' "
        "(did you mean 'F2026-0190', '2026-0190', 'F2026-0262'?)\n"
    )


def test_record_and_history_accept_an_invoice_number(tmp_path, monkeypatch):
    from gitledger import CASE_PATH, make_ledger

    repo = make_ledger(tmp_path, monkeypatch)
    done = repo.run("record", "F2026-0042", "note", "note=par numéro de facture")
    assert done.exit_code == 0, done.output
    assert b"par num\xc3\xa9ro de facture" in repo.read(CASE_PATH)
    repo.commit("note")
    assert repo.run("history", "F2026-0042").output == repo.run("history", "2026-0042").output


def test_letter_says_what_it_rendered_and_whether_it_is_recorded():
    due = run("letter", "2026-0220")
    assert due.stderr == (
        "2026-0220: formal-notice (the next action, due; not recorded yet); once sent: "
        "relancegit record 2026-0220 reminder step=formal-notice channel=registered-letter\n"
    )
    again = run("letter", "2026-0256", "--step", "pre-due")
    assert again.stderr == "2026-0256: pre-due (already recorded on 2026-11-16)\n"


def test_client_promise_confirmation_is_one_letter(make_ledger):
    """Two cases of the client, one promise of 900 recorded in each for the same date: one
    letter confirming 1 800 €; with different dates, the letters are written case by case."""
    case = """\
id: {id}
client: acme
invoices:
  - {{number: F{id}, date: 2026-09-01, due: 2026-10-01, amount: 900.00}}
events:
  - {{date: 2026-11-20, type: promise, amount: 900, due: {due}}}
"""
    root = make_ledger(
        {
            "cases/2026/2026-0042.yaml": case.format(id="2026-0042", due="2026-11-30"),
            "cases/2026/2026-0043.yaml": case.format(id="2026-0043", due="2026-11-30"),
        }
    )
    args = ["--ledger", str(root), "--today", "2026-11-23", "letter", "--client", "acme", "--step"]
    result = CliRunner().invoke(main, [*args, "promise-confirmation"])
    assert result.exit_code == 0, result.output
    assert (
        "**1\u202f800,00\u00a0€**" in result.stdout and "F2026-0042" in result.stdout and "F2026-0043" in result.stdout
    )
    (root / "cases/2026/2026-0043.yaml").write_text(case.format(id="2026-0043", due="2026-12-15"))
    result = CliRunner().invoke(main, [*args, "promise-confirmation"])
    assert result.exit_code == 1
    assert "cases 2026-0042, 2026-0043 of client 'acme' each have their own pending promise" in result.stderr
