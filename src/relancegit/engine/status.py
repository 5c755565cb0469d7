"""Promises, payment plans, the reference due date and the status (docs/engine.md).

Layer: engine (pure functions of the case's facts and `today`). Promises and plans count
payments only: a credit note corrects the invoice, it does not keep a promise.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from relancegit.engine.allocation import Allocation
from relancegit.engine.facts import CaseEvents
from relancegit.model import ZERO, Installment, Payment, Plan, Promise, Status

ONE_DAY = timedelta(days=1)


class PromiseOutcome(StrEnum):
    KEPT = "kept"
    PENDING = "pending"
    BROKEN = "broken"


def _paid_between(payments: Sequence[Payment], first: date, last: date) -> Decimal:
    return sum((p.amount for p in payments if first <= p.date <= last), ZERO)


@dataclass(frozen=True)
class PromiseState:
    promise: Promise
    outcome: PromiseOutcome
    paid: Decimal  # payments dated in [promise date, due + grace], as known today
    check_date: date  # due + grace + 1: when it is checked, and the break date if broken

    @property
    def broken_on(self) -> date | None:
        return self.check_date if self.outcome == PromiseOutcome.BROKEN else None


def promise_state(promise: Promise, payments: Sequence[Payment], grace_days: int, today: date) -> PromiseState:
    """Kept when payments dated in [P.date, P.due + grace] reach P.amount; pending until then."""
    last_day = promise.due + timedelta(days=grace_days)
    paid = _paid_between(payments, promise.date, last_day)
    if paid >= promise.amount:
        outcome = PromiseOutcome.KEPT
    elif today <= last_day:
        outcome = PromiseOutcome.PENDING
    else:
        outcome = PromiseOutcome.BROKEN
    return PromiseState(promise, outcome, paid, last_day + ONE_DAY)


@dataclass(frozen=True)
class PlanState:
    plan: Plan
    paid: Decimal  # payments dated from the plan's date up to today
    broken_on: date | None  # due_i + grace + 1 of the first installment missed
    missed: Installment | None  # that installment
    next_installment: Installment | None  # the first not yet covered by the payments
    check_date: date | None  # the next installment's due + grace + 1

    @property
    def active(self) -> bool:
        return self.broken_on is None and self.next_installment is not None


def plan_state(plan: Plan, payments: Sequence[Payment], grace_days: int, today: date) -> PlanState:
    """Broken at the first installment i such that, on due_i + grace + 1, the payments dated
    from the plan's date total less than installments 1..i; otherwise active until all are paid."""
    grace = timedelta(days=grace_days)
    since = [p for p in payments if p.date >= plan.date]
    paid = sum((p.amount for p in since), ZERO)
    owed = ZERO
    broken_on: date | None = None
    missed: Installment | None = None
    upcoming: Installment | None = None
    for installment in plan.installments:
        owed += installment.amount
        check = installment.due + grace + ONE_DAY
        if broken_on is None and check <= today and _paid_between(payments, plan.date, check - ONE_DAY) < owed:
            broken_on, missed = check, installment
        if upcoming is None and paid < owed:
            upcoming = installment
    check_date = upcoming.due + grace + ONE_DAY if upcoming is not None else None
    return PlanState(plan, paid, broken_on, missed, upcoming, check_date)


def reference_due_date(allocation: Allocation) -> date:
    """The earliest due date among invoices with a positive balance, else the latest due date."""
    open_dues = [s.invoice.due for s in allocation.invoices if s.balance > 0]
    if open_dues:
        return min(open_dues)
    return max(s.invoice.due for s in allocation.invoices)


def days_overdue(allocation: Allocation, reference_due: date, today: date) -> int:
    if allocation.balance <= 0:
        return 0
    return max(0, (today - reference_due).days)


def active_pause_until(facts: CaseEvents, today: date) -> date | None:
    """The end of the pause in force today (the furthest one when several overlap)."""
    ends = [p.until for p in facts.pauses if p.until >= today]
    return max(ends) if ends else None


def case_status(
    facts: CaseEvents,
    allocation: Allocation,
    reference_due: date,
    promise: PromiseState | None,
    plan: PlanState | None,
    today: date,
) -> Status:
    """The first status that applies, in the order of docs/engine.md, "Status"."""
    if facts.write_off is not None:
        return Status.WRITTEN_OFF
    if allocation.balance <= 0:
        return Status.PAID
    if facts.latest_escalation is not None:
        return Status.ESCALATED
    if facts.open_dispute is not None:
        return Status.DISPUTED
    if active_pause_until(facts, today) is not None:
        return Status.PAUSED
    if plan is not None and plan.active:
        return Status.PLAN
    if promise is not None and promise.outcome == PromiseOutcome.PENDING:
        return Status.PROMISED
    if today > reference_due:
        return Status.OVERDUE
    return Status.UPCOMING
