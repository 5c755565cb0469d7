"""Allocation (SPEC §4.1), statuses (§4.2), promises (§4.3) and payment plans (§4.4), by hand.

Default policy unless said: min gap 5, grace 3, dispute review 10. The default invoice is
F1, 1 500.00 € issued 2026-09-01, due 2026-10-01.
"""

from __future__ import annotations

from decimal import Decimal

from engine_helpers import d, state_of

from relancegit.engine.status import PromiseOutcome
from relancegit.model import Status

TWO_INVOICES = [
    # File order is not due-date order: FIFO goes by due date.
    {"number": "B", "date": "2026-09-15", "due": "2026-10-15", "amount": "500.00"},
    {"number": "A", "date": "2026-09-01", "due": "2026-10-01", "amount": "1000.00"},
]


def balances(state) -> dict[str, Decimal]:
    return {s.invoice.number: s.balance for s in state.allocation.invoices}


# --- §4.1 allocation and balances ------------------------------------------------------------


def test_fifo_allocation_goes_to_the_oldest_due_date_first() -> None:
    s = state_of("2026-11-23", [{"date": "2026-10-20", "type": "payment", "amount": 700}], TWO_INVOICES)
    # 700 -> A (due 10-01): 1000 - 700 = 300 left; B untouched.
    assert balances(s) == {"B": Decimal("500.00"), "A": Decimal("300.00")}
    assert s.reference_due == d("2026-10-01")
    assert s.allocation.balance == Decimal("800.00")


def test_explicit_allocation_then_spill_over() -> None:
    s = state_of(
        "2026-11-23",
        [{"date": "2026-10-20", "type": "payment", "amount": 600, "invoice": "B"}],
        TWO_INVOICES,
    )
    # 600 on B (500): B settled, the 100 left go to A (oldest open).
    assert balances(s) == {"B": Decimal("0.00"), "A": Decimal("900.00")}


def test_reference_due_moves_to_the_oldest_open_invoice() -> None:
    s = state_of(
        "2026-11-23", [{"date": "2026-10-20", "type": "payment", "amount": 1000, "invoice": "A"}], TWO_INVOICES
    )
    assert s.reference_due == d("2026-10-15")
    assert s.days_overdue == 39  # 10-15 -> 11-23: 16 + 23 days


def test_case_totals_with_credit_note_and_write_off() -> None:
    s = state_of(
        "2026-11-23",
        [
            {"date": "2026-10-05", "type": "payment", "amount": 600},
            {"date": "2026-10-06", "type": "credit-note", "amount": 100, "number": "AV1"},
            {"date": "2026-11-02", "type": "write-off", "reason": "liquidation"},
        ],
    )
    a = s.allocation
    assert (a.total, a.paid, a.credited, a.written_off, a.balance) == (
        Decimal("1500.00"),
        Decimal("600"),
        Decimal("100"),
        Decimal("800.00"),
        Decimal("0.00"),
    )
    assert s.status == Status.WRITTEN_OFF
    assert s.days_overdue == 0
    assert s.next_action is None


def test_events_after_today_are_ignored() -> None:
    s = state_of("2026-10-10", [{"date": "2026-10-20", "type": "payment", "amount": 1500}])
    assert s.allocation.balance == Decimal("1500.00")
    assert s.status == Status.OVERDUE


# --- §4.2 statuses, first that applies -------------------------------------------------------


def test_upcoming_then_overdue() -> None:
    assert state_of("2026-10-01").status == Status.UPCOMING  # due today: not yet late
    late = state_of("2026-10-02")
    assert late.status == Status.OVERDUE
    assert late.days_overdue == 1


def test_paid() -> None:
    s = state_of("2026-11-23", [{"date": "2026-09-30", "type": "payment", "amount": 1500}])
    assert s.status == Status.PAID
    assert s.next_action is None
    assert s.deadlines.prescription is None


def test_escalated_beats_disputed_and_paused() -> None:
    s = state_of(
        "2026-11-23",
        [
            {"date": "2026-11-02", "type": "dispute", "reason": "quantité"},
            {"date": "2026-11-03", "type": "pause", "until": "2026-12-31"},
            {"date": "2026-11-05", "type": "escalation", "to": "lawyer"},
        ],
    )
    assert s.status == Status.ESCALATED


def test_disputed_until_resolved() -> None:
    events = [{"date": "2026-11-02", "type": "dispute", "reason": "quantité"}]
    assert state_of("2026-11-23", events).status == Status.DISPUTED
    resolved = [*events, {"date": "2026-11-10", "type": "dispute-resolved"}]
    assert state_of("2026-11-23", resolved).status == Status.OVERDUE
    again = [*resolved, {"date": "2026-11-12", "type": "dispute", "reason": "prix"}]
    assert state_of("2026-11-23", again).status == Status.DISPUTED


def test_paused_while_until_is_today_or_later() -> None:
    events = [{"date": "2026-11-02", "type": "pause", "until": "2026-11-23"}]
    assert state_of("2026-11-23", events).status == Status.PAUSED
    assert state_of("2026-11-24", events).status == Status.OVERDUE


def test_paid_beats_everything_but_write_off() -> None:
    s = state_of(
        "2026-11-23",
        [
            {"date": "2026-11-02", "type": "escalation", "to": "agency"},
            {"date": "2026-11-10", "type": "payment", "amount": 1500},
        ],
    )
    assert s.status == Status.PAID


# --- §4.3 promises (grace 3) ----------------------------------------------------------------

PROMISE = {"date": "2026-11-02", "type": "promise", "amount": 750, "due": "2026-11-10"}


def test_promise_pending_until_due_plus_grace() -> None:
    # Due 11-10 + 3 days of grace = 11-13: pending through 11-13, checked on 11-14.
    s = state_of("2026-11-13", [PROMISE])
    assert s.promise is not None and s.promise.outcome == PromiseOutcome.PENDING
    assert s.status == Status.PROMISED
    assert s.promise.check_date == d("2026-11-14")


def test_promise_kept_on_the_last_day_of_grace() -> None:
    s = state_of("2026-11-23", [PROMISE, {"date": "2026-11-13", "type": "payment", "amount": 750}])
    assert s.promise is not None and s.promise.outcome == PromiseOutcome.KEPT
    assert s.status == Status.OVERDUE  # 750 still owed, the promise is no longer pending


def test_promise_broken_when_paid_a_day_too_late_or_too_little() -> None:
    late = state_of("2026-11-23", [PROMISE, {"date": "2026-11-14", "type": "payment", "amount": 750}])
    assert late.promise is not None and late.promise.outcome == PromiseOutcome.BROKEN
    assert late.promise.broken_on == d("2026-11-14")
    short = state_of("2026-11-23", [PROMISE, {"date": "2026-11-09", "type": "payment", "amount": 500}])
    assert short.promise is not None and short.promise.outcome == PromiseOutcome.BROKEN


def test_payment_before_the_promise_does_not_keep_it() -> None:
    s = state_of("2026-11-23", [{"date": "2026-11-01", "type": "payment", "amount": 750}, PROMISE])
    assert s.promise is not None and s.promise.outcome == PromiseOutcome.BROKEN


# --- §4.4 payment plans (grace 3) -----------------------------------------------------------

PLAN = {
    "date": "2026-10-05",
    "type": "plan",
    "signed": True,
    "installments": [
        {"due": "2026-10-15", "amount": 500},
        {"due": "2026-11-15", "amount": 500},
        {"due": "2026-12-15", "amount": 500},
    ],
}


def test_plan_active_with_payment_inside_the_grace_period() -> None:
    # Installment 2 due 11-15 (Sunday), paid 11-18 = due + 3: still on time.
    s = state_of(
        "2026-11-23",
        [
            PLAN,
            {"date": "2026-10-15", "type": "payment", "amount": 500},
            {"date": "2026-11-18", "type": "payment", "amount": 500},
        ],
    )
    assert s.status == Status.PLAN
    assert s.plan is not None and s.plan.broken_on is None
    assert s.plan.next_installment is not None and s.plan.next_installment.due == d("2026-12-15")


def test_plan_broken_at_the_first_missed_installment() -> None:
    # On 11-15 + 3 + 1 = 11-19, payments since the plan total 500 < 500 + 500: broken that day.
    events = [PLAN, {"date": "2026-10-15", "type": "payment", "amount": 500}]
    s = state_of("2026-11-23", events)
    assert s.plan is not None and s.plan.broken_on == d("2026-11-19")
    assert s.plan.missed is not None and s.plan.missed.due == d("2026-11-15")
    assert s.status == Status.OVERDUE
    # The day before the break it was still a plan.
    assert state_of("2026-11-18", events).status == Status.PLAN


def test_plan_payment_on_the_break_day_is_too_late() -> None:
    s = state_of(
        "2026-11-23",
        [
            PLAN,
            {"date": "2026-10-15", "type": "payment", "amount": 500},
            {"date": "2026-11-19", "type": "payment", "amount": 500},
        ],
    )
    assert s.plan is not None and s.plan.broken_on == d("2026-11-19")


def test_payments_before_the_plan_do_not_count_for_it() -> None:
    s = state_of(
        "2026-10-20",
        [
            {"date": "2026-10-04", "type": "payment", "amount": 500},
            {**PLAN, "installments": [{"due": "2026-10-15", "amount": 500}, {"due": "2026-11-15", "amount": 500}]},
        ],
    )
    # Installment 1 (10-15) checked on 10-19: 0 paid since 10-05 < 500.
    assert s.plan is not None and s.plan.broken_on == d("2026-10-19")
