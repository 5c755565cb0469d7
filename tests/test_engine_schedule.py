"""The next action (SPEC §4.5), one worked example per kind and per date rule.

Default policy: pre-due -5, reminder-1 +1, reminder-2 +8, call +15, letter +30,
formal-notice +45, escalate +60; min gap 5, grace 3, dispute review 10. Default invoice
F1, 1 500.00 €, due Thursday 2026-10-01. Weekdays are noted beside dates.
"""

from __future__ import annotations

from engine_helpers import d, state_of

from relancegit.engine.schedule import ActionKind, Bound
from relancegit.model import Channel, Status

ALL_STEPS = ["pre-due", "reminder-1", "reminder-2", "call", "letter", "formal-notice", "escalate"]


def reminders(*pairs: tuple[str, str]) -> list[dict]:
    return [{"date": day, "type": "reminder", "step": step} for day, step in pairs]


def action(today: str, events=None, **kw):
    s = state_of(today, events, **kw)
    assert s.next_action is not None
    return s.next_action


# --- kind step ------------------------------------------------------------------------------


def test_pre_due_step_when_upcoming() -> None:
    a = action("2026-09-20")
    # 10-01 - 5 = Sat 09-26 -> Mon 09-28.
    assert (a.kind, a.step, a.channel) == (ActionKind.STEP, "pre-due", Channel.EMAIL)
    assert a.planned == d("2026-09-26") and a.date == d("2026-09-28")


def test_negative_offset_steps_are_skipped_once_overdue() -> None:
    a = action("2026-10-02")
    # pre-due never sent, but today > due: reminder-1 on 10-01 + 1 = Fri 10-02.
    assert (a.step, a.date) == ("reminder-1", d("2026-10-02"))
    assert a.is_due(d("2026-10-02"))


def test_minimum_gap_after_the_latest_contact() -> None:
    # reminder-1 sent late on Mon 10-05: reminder-2 = max(10-01 + 8 = 10-09, 10-05 + 5 = 10-10)
    # = Sat 10-10 -> Mon 10-12.
    a = action("2026-10-06", reminders(("2026-10-05", "reminder-1")))
    assert a.step == "reminder-2" and a.bound_by == Bound.MIN_GAP
    assert a.planned == d("2026-10-10") and a.date == d("2026-10-12")


def test_a_call_counts_as_contact_and_marks_its_step_done() -> None:
    events = [
        *reminders(("2026-10-02", "reminder-1"), ("2026-10-09", "reminder-2")),
        {"date": "2026-10-20", "type": "call", "outcome": "reached", "step": "call"},
    ]
    a = action("2026-10-21", events)
    # letter: max(10-01 + 30 = Sat 10-31, 10-20 + 5) -> Mon 11-02 (11-01 is also a holiday).
    assert a.step == "letter" and a.date == d("2026-11-02")


def test_holiday_shift_11_november() -> None:
    # Invoice due Tue 11-10; pre-due sent 11-05. reminder-1 = max(11-11, 11-05 + 5 = 11-10)
    # = Wed 11-11, Armistice Day -> Thu 11-12.
    invoices = [{"number": "F1", "date": "2026-10-10", "due": "2026-11-10", "amount": "1500.00"}]
    a = action("2026-11-06", reminders(("2026-11-05", "pre-due")), invoices=invoices)
    assert a.planned == d("2026-11-11") and a.date == d("2026-11-12")


def test_day_after_the_latest_kept_promise() -> None:
    # SPEC §3.3 example: promise of 750 due 10-31 kept on 10-30. reminder-2 =
    # max(10-09, call 10-16 + 5 = 10-21, 10-31 + 1 = Sun 11-01) -> Mon 11-02 (11-01 also a holiday).
    events = [
        *reminders(("2026-09-26", "pre-due"), ("2026-10-02", "reminder-1")),
        {"date": "2026-10-16", "type": "call", "outcome": "reached"},
        {"date": "2026-10-16", "type": "promise", "amount": 750, "due": "2026-10-31"},
        {"date": "2026-10-30", "type": "payment", "amount": 750},
    ]
    a = action("2026-11-23", events)
    assert (a.step, a.bound_by, a.date) == ("reminder-2", Bound.PROMISE, d("2026-11-02"))


def test_all_steps_done_gives_escalation_followup() -> None:
    days = ["2026-09-26", "2026-10-02", "2026-10-09", "2026-10-16", "2026-10-31", "2026-11-15", "2026-11-10"]
    events = reminders(*sorted(zip(days, ALL_STEPS, strict=True)))
    a = action("2026-11-23", events)
    # Last contact 11-15 + 30 = Tue 12-15.
    assert (a.kind, a.step, a.channel, a.date) == (ActionKind.ESCALATION_FOLLOWUP, None, None, d("2026-12-15"))


# --- paused -----------------------------------------------------------------------------------


def test_paused_case_waits_for_the_day_after_until() -> None:
    events = [*reminders(("2026-10-02", "reminder-1")), {"date": "2026-11-02", "type": "pause", "until": "2026-11-30"}]
    s = state_of("2026-11-23", events)
    assert s.status == Status.PAUSED
    # reminder-2 = max(10-09, 10-07, 11-30 + 1 = Tue 12-01).
    assert s.next_action is not None
    assert (s.next_action.step, s.next_action.date, s.next_action.bound_by) == (
        "reminder-2",
        d("2026-12-01"),
        Bound.PAUSE,
    )


def test_pause_also_holds_back_a_promise_check() -> None:
    events = [
        {"date": "2026-11-10", "type": "promise", "amount": 500, "due": "2026-11-20"},
        {"date": "2026-11-11", "type": "pause", "until": "2026-11-30"},
    ]
    s = state_of("2026-11-23", events)
    # The check would be 11-20 + 3 + 1 = 11-24; paused until 11-30 -> Tue 12-01.
    assert s.status == Status.PAUSED
    assert s.next_action is not None
    assert (s.next_action.kind, s.next_action.date) == (ActionKind.PROMISE_CHECK, d("2026-12-01"))


# --- promises ---------------------------------------------------------------------------------

PROMISE = {"date": "2026-11-02", "type": "promise", "amount": 750, "due": "2026-11-10"}


def test_promise_check_on_due_plus_grace_plus_one() -> None:
    a = action("2026-11-05", [PROMISE])
    # 11-10 + 3 + 1 = Sat 11-14 -> Mon 11-16.
    assert (a.kind, a.planned, a.date) == (ActionKind.PROMISE_CHECK, d("2026-11-14"), d("2026-11-16"))


def test_promise_broken_asks_for_a_call() -> None:
    a = action("2026-11-23", [PROMISE])
    assert (a.kind, a.step, a.channel) == (ActionKind.PROMISE_BROKEN, None, Channel.PHONE)
    assert a.planned == d("2026-11-14") and a.date == d("2026-11-16")


def test_contact_after_a_broken_promise_resumes_dunning() -> None:
    events = [
        *reminders(("2026-10-02", "reminder-1")),
        PROMISE,
        {"date": "2026-11-16", "type": "call", "outcome": "no-answer"},
    ]
    a = action("2026-11-23", events)
    # reminder-2 = max(10-09, 11-16 + 5 = Sat 11-21) -> Mon 11-23.
    assert (a.kind, a.step, a.date) == (ActionKind.STEP, "reminder-2", d("2026-11-23"))


# --- plans ------------------------------------------------------------------------------------

PLAN = {
    "date": "2026-10-05",
    "type": "plan",
    "installments": [
        {"due": "2026-10-15", "amount": 500},
        {"due": "2026-11-15", "amount": 500},
        {"due": "2026-12-15", "amount": 500},
    ],
}


def test_plan_check_on_the_next_installment() -> None:
    events = [PLAN, {"date": "2026-10-15", "type": "payment", "amount": 500}]
    a = action("2026-11-01", events)
    # Next unpaid: 11-15 + 3 + 1 = Thu 11-19.
    assert (a.kind, a.date) == (ActionKind.PLAN_CHECK, d("2026-11-19"))


def test_plan_broken_jumps_to_on_broken_plan() -> None:
    events = [PLAN, {"date": "2026-10-15", "type": "payment", "amount": 500}]
    a = action("2026-11-23", events)
    assert (a.kind, a.step, a.channel, a.date) == (
        ActionKind.PLAN_BROKEN,
        "formal-notice",
        Channel.REGISTERED_LETTER,
        d("2026-11-19"),
    )


def test_after_a_broken_plan_earlier_steps_count_as_done() -> None:
    events = [
        PLAN,
        {"date": "2026-10-15", "type": "payment", "amount": 500},
        {"date": "2026-11-20", "type": "call", "outcome": "reached"},
    ]
    a = action("2026-11-23", events)
    # No reminder was ever sent, yet the next step is formal-notice:
    # max(10-01 + 45 = 11-15, 11-20 + 5 = Wed 11-25).
    assert (a.kind, a.step, a.date) == (ActionKind.STEP, "formal-notice", d("2026-11-25"))


# --- disputes and escalation ----------------------------------------------------------------


def test_dispute_review() -> None:
    a = action("2026-11-23", [{"date": "2026-11-18", "type": "dispute", "reason": "métrage"}])
    # 11-18 + 10 = Sat 11-28 -> Mon 11-30.
    assert (a.kind, a.date) == (ActionKind.DISPUTE_REVIEW, d("2026-11-30"))


def test_escalation_followup_30_days_after_the_latest_event() -> None:
    events = [
        {"date": "2026-10-13", "type": "escalation", "to": "agency", "ref": "RRA-1"},
        {"date": "2026-10-20", "type": "note", "note": "dossier reçu par l'agence"},
    ]
    a = action("2026-11-23", events)
    # Latest event 10-20 + 30 = Thu 11-19.
    assert (a.kind, a.date) == (ActionKind.ESCALATION_FOLLOWUP, d("2026-11-19"))


def test_custom_policy_gap_and_offsets() -> None:
    config = {
        "policies": {
            "gentle": {
                "steps": [
                    {"id": "reminder-1", "offset": 3, "channel": "email"},
                    {"id": "reminder-2", "offset": 15, "channel": "email"},
                ],
                "min_gap_days": 7,
            }
        }
    }
    events = reminders(("2026-10-12", "reminder-1"))
    a = action("2026-10-13", events, config=config, policy="gentle")
    # max(10-01 + 15 = 10-16, 10-12 + 7 = Mon 10-19).
    assert (a.step, a.date) == ("reminder-2", d("2026-10-19"))
