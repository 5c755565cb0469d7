"""Where a case stands: `start_step`, the rule for debts entering the ledger late, and steps
that never go backwards. Dates worked by hand on the default policy (offsets: pre-due −5,
reminder-1 +1, reminder-2 +8, call +15, letter +30, formal-notice +45, escalate +60)."""

from __future__ import annotations

from conftest import positions
from engine_helpers import state_of

from relancegit.engine.schedule import ActionKind


def invoice(due: str) -> list[dict[str, str]]:
    return [{"number": "F1", "date": "2026-07-01", "due": due, "amount": "1500.00"}]


def step_and_date(state) -> tuple[str | None, str]:
    action = state.next_action
    assert action is not None and action.kind == ActionKind.STEP
    return action.step, action.date.isoformat()


def test_a_65_day_old_debt_starts_at_the_letter_not_a_courteous_first_reminder():
    # due 2026-09-19, today 2026-11-23: 65 days late; the letter's date (09-19 + 30 = 10-19,
    # a Monday) has passed, the formal notice is never a first contact.
    assert step_and_date(state_of("2026-11-23", invoices=invoice("2026-09-19"))) == ("letter", "2026-10-19")


def test_a_120_day_old_debt_still_starts_at_the_letter():
    # due 2026-07-26: every offset has passed, the escalation one included.
    assert step_and_date(state_of("2026-11-23", invoices=invoice("2026-07-26")))[0] == "letter"


def test_a_10_day_old_debt_starts_at_the_latest_step_passed():
    # due 2026-11-13: reminder-1 (11-14) and reminder-2 (11-21) have passed, the call (11-28) not.
    assert step_and_date(state_of("2026-11-23", invoices=invoice("2026-11-13"))) == ("reminder-2", "2026-11-23")


def test_after_the_first_letter_the_formal_notice_follows():
    # The letter sent on 11-23: the formal notice on max(09-19 + 45 = 11-03, 11-23 + 5 = 11-28),
    # 11-28 a Saturday, so Monday 11-30.
    events = [{"date": "2026-11-23", "type": "reminder", "step": "letter", "channel": "letter"}]
    state = state_of("2026-11-23", events, invoices=invoice("2026-09-19"))
    assert step_and_date(state) == ("formal-notice", "2026-11-30")


def test_start_step_says_what_was_done_before_the_ledger():
    state = state_of("2026-11-23", invoices=invoice("2026-09-19"), start_step="letter")
    assert step_and_date(state) == ("formal-notice", "2026-11-03")  # 09-19 + 45, a Tuesday


def test_a_contact_recorded_keeps_the_usual_order():
    # A call with no step is a contact: the case is being worked, the first step not done comes.
    events = [{"date": "2026-11-16", "type": "call", "outcome": "no-answer"}]
    state = state_of("2026-11-23", events, invoices=invoice("2026-09-19"))
    assert step_and_date(state) == ("reminder-1", "2026-11-23")  # 11-16 + 5 = 11-21, a Saturday


def test_no_softer_step_after_a_postal_letter():
    # reminder-1 by e-mail, then the letter by post: reminder-2 and the call are never proposed.
    events = [
        {"date": "2026-10-01", "type": "reminder", "step": "reminder-1", "channel": "email"},
        {"date": "2026-10-20", "type": "reminder", "step": "letter", "channel": "letter"},
    ]
    state = state_of("2026-11-23", events, invoices=invoice("2026-09-30"))
    assert step_and_date(state) == ("formal-notice", "2026-11-16")  # 09-30 + 45 = 11-14, a Saturday


def test_unknown_start_step_is_a_located_error(load):
    text = """\
id: 2026-0042
client: acme
start_step: lettre
invoices:
  - {number: F2026-0042, date: 2026-09-01, due: 2026-10-01, amount: 1500.00}
"""
    assert positions(load({"cases/2026/2026-0042.yaml": text})) == [
        (
            "2026-0042.yaml",
            3,
            13,
            "error",
            "unknown step 'lettre' in policy 'default' "
            "(did you mean 'letter'? steps: pre-due, reminder-1, reminder-2, call, letter, formal-notice, escalate)",
        )
    ]
