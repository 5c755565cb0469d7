"""Everything derived for one case as of a date: the engine's entry point.

Layer: engine (pure). `compute_case` allocates once, gathers the events once, and passes
the results to the rules of docs/engine.md; `compute_all` does it for the ledger with one
rate table and the cached holiday sets.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from relancegit.engine.allocation import Allocation, allocate
from relancegit.engine.deadlines import Deadlines, case_deadlines
from relancegit.engine.facts import CaseEvents, gather
from relancegit.engine.penalties import CasePenalties, case_penalties
from relancegit.engine.rates import RateTable
from relancegit.engine.schedule import NextAction, ScheduleInput, next_action
from relancegit.engine.status import (
    PlanState,
    PromiseOutcome,
    PromiseState,
    active_pause_until,
    case_status,
    days_overdue,
    plan_state,
    promise_state,
    reference_due_date,
)
from relancegit.model import Case, Client, Ledger, Policy, Status

CLOSED = frozenset({Status.PAID, Status.WRITTEN_OFF})


@dataclass(frozen=True)
class CaseState:
    case: Case
    client: Client
    policy: Policy
    today: date
    allocation: Allocation
    facts: CaseEvents
    status: Status
    reference_due: date
    days_overdue: int
    promises: tuple[PromiseState, ...]  # every promise, oldest first
    plan: PlanState | None  # the latest plan
    paused_until: date | None  # end of the pause in force today
    next_action: NextAction | None
    deadlines: Deadlines
    penalties: CasePenalties

    @property
    def id(self) -> str:
        return self.case.id

    @property
    def balance(self) -> Decimal:
        return self.allocation.balance

    @property
    def is_open(self) -> bool:
        return self.status not in CLOSED

    @property
    def action_due(self) -> bool:
        return self.next_action is not None and self.next_action.is_due(self.today)

    @property
    def promise(self) -> PromiseState | None:
        """The latest promise."""
        return self.promises[-1] if self.promises else None


def compute_case(
    ledger: Ledger,
    case: Case,
    today: date,
    rates: RateTable | None = None,
) -> CaseState:
    """The derived state of `case` as of `today` (events after it are ignored)."""
    config = ledger.config
    rates = rates if rates is not None else RateTable.for_config(config)
    client = ledger.client_of(case)
    policy = ledger.policy_for(case)
    allocation = allocate(case, today)
    facts = gather(case, policy, today)
    reference_due = reference_due_date(allocation)
    promises = tuple(promise_state(p, facts.payments, policy.grace_days, today) for p in facts.promises)
    kept = [p for p in promises if p.outcome == PromiseOutcome.KEPT]
    plan = plan_state(facts.latest_plan, facts.payments, policy.grace_days, today) if facts.latest_plan else None
    latest_promise = promises[-1] if promises else None
    status = case_status(facts, allocation, reference_due, latest_promise, plan, today)
    action = next_action(
        ScheduleInput(
            status=status,
            facts=facts,
            policy=policy,
            reference_due=reference_due,
            promise=latest_promise,
            kept_promise=kept[-1] if kept else None,
            plan=plan,
            today=today,
            holidays=config.holidays,
            start_step=case.start_step,
        )
    )
    return CaseState(
        case=case,
        client=client,
        policy=policy,
        today=today,
        allocation=allocation,
        facts=facts,
        status=status,
        reference_due=reference_due,
        days_overdue=days_overdue(allocation, reference_due, today),
        promises=promises,
        plan=plan,
        paused_until=active_pause_until(facts, today),
        next_action=action,
        deadlines=case_deadlines(
            facts,
            policy,
            reference_due,
            client.type,
            status not in CLOSED,
            config.holidays,
            invoice_date=min(i.date for i in case.invoices),
        ),
        penalties=case_penalties(allocation, client.type, config.penalties, rates, today, facts.first_formal_notice),
    )


def compute_all(ledger: Ledger, today: date) -> list[CaseState]:
    """Every case of the ledger, by id."""
    rates = RateTable.for_config(ledger.config)
    return [compute_case(ledger, ledger.cases[cid], today, rates) for cid in sorted(ledger.cases)]


def agenda(states: list[CaseState], today: date, within_days: int = 0) -> list[CaseState]:
    """Open cases whose next action is due by today + `within_days`: by date, then the
    largest balance first (chase the biggest amount first on a busy day)."""
    horizon = date.fromordinal(today.toordinal() + within_days)
    due = [s for s in states if s.next_action is not None and s.next_action.date <= horizon]
    return sorted(due, key=lambda s: (s.next_action.date if s.next_action else horizon, -s.balance, s.id))


def select(states: list[CaseState], status: str | None = None, client: str | None = None) -> list[CaseState]:
    """The cases with this status and of this client (either filter may be None)."""
    return [
        s
        for s in states
        if (status is None or s.status.value == status) and (client is None or s.case.client == client)
    ]


def prescription_alerts(states: list[CaseState], today: date) -> list[CaseState]:
    """Open cases whose prescription falls within the warning window (the agenda flags them)."""
    return [s for s in states if s.is_open and s.deadlines.prescription_near(today)]
