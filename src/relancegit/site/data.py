"""The figures behind each chart and list of the dashboard.

Layer: engine results -> plain values for pages (pure functions of the case states and
`today`; nothing here formats or writes). Portfolio-wide figures come from
`engine.portfolio`; this module adds what only the dashboard shows: the agenda grouped by
day, top debtors, recovery rate by quarter, DSO by month, and each client's behaviour.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from relancegit.engine.portfolio import (
    LATE_THRESHOLD_DAYS,
    Exposure,
    Portfolio,
    dso_on,
    recovery_between,
    went_late,
)
from relancegit.engine.state import CaseState
from relancegit.engine.status import PromiseOutcome
from relancegit.model import ZERO, Client

AGENDA_DAYS = 14
TOP_DEBTORS = 10
QUARTERS = 8
MONTHS = 12
# Average delay (days) under which a client counts as paying on time, and above which late.
PUNCTUAL_DAYS = 7
LATE_DAYS = 30


# --- home ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class AgendaDay:
    day: date | None  # None: actions whose date has passed (still to do)
    states: tuple[CaseState, ...]  # largest balance first

    @property
    def total(self) -> Decimal:
        return sum((s.balance for s in self.states), ZERO)


def agenda_by_day(states: Sequence[CaseState], today: date, days: int = AGENDA_DAYS) -> list[AgendaDay]:
    """Actions up to today + `days`: those already late first (one group), then one group a day."""
    horizon = today + timedelta(days=days)
    groups: dict[date | None, list[CaseState]] = defaultdict(list)
    for state in states:
        action = state.next_action
        if action is None or action.date > horizon:
            continue
        groups[None if action.date < today else action.date].append(state)
    order = sorted(groups, key=lambda d: d or date.min)
    return [
        AgendaDay(
            day,
            tuple(
                sorted(groups[day], key=lambda s: (s.next_action.date if s.next_action else today, -s.balance, s.id))
            ),
        )
        for day in order
    ]


def top_debtors(figures: Portfolio, limit: int = TOP_DEBTORS) -> list[Exposure]:
    """The clients owing the most (open balances), largest first."""
    return [e for e in figures.exposures if e.exposure > 0][:limit]


def limit_breaches(figures: Portfolio) -> list[Exposure]:
    return [e for e in figures.exposures if e.over_limit]


# --- analytics -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    label: str  # "2026-T4" / "2026-Q4", "2026-11"
    start: date  # first day
    end: date  # last day (or today for the running period)
    value: Decimal | int | None


def quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def recovery_by_quarter(
    states: Sequence[CaseState], today: date, quarters: int = QUARTERS, letter: str = "T"
) -> list[Period]:
    """The recovery rate of the invoices due in each of the last `quarters` quarters (the
    running one up to today), oldest first."""
    starts = [quarter_start(today)]
    for _ in range(quarters - 1):
        previous = starts[-1] - timedelta(days=1)
        starts.append(quarter_start(previous))
    out = []
    for start in reversed(starts):
        end_of_quarter = quarter_start(start + timedelta(days=95)) - timedelta(days=1)
        end = min(end_of_quarter, today)
        label = f"{start.year}-{letter}{(start.month - 1) // 3 + 1}"
        out.append(Period(label, start, end, recovery_between(states, start, end, today)))
    return out


def outstanding_on(states: Sequence[CaseState], day: date) -> Decimal:
    """What was owed at the end of `day`: invoices issued by then, less what was settled by then."""
    total = ZERO
    for state in states:
        for inv in state.allocation.invoices:
            if inv.invoice.date <= day:
                total += max(inv.balance_before(day + timedelta(days=1)), ZERO)
    return total


def dso_by_month(states: Sequence[CaseState], figures: Portfolio, months: int = MONTHS) -> list[Period]:
    """DSO at the end of each of the last `months` months, the running month as of today."""
    today = figures.today
    ends = [today]
    first = today.replace(day=1)
    for _ in range(months - 1):
        ends.append(first - timedelta(days=1))
        first = ends[-1].replace(day=1)
    past = dso_on(states, ends[1:])
    out = []
    for end in reversed(ends):
        value = figures.dso if end == today else past[end]
        out.append(Period(f"{end.year}-{end.month:02d}", end.replace(day=1), end, value))
    return out


@dataclass(frozen=True)
class LateClient:
    client: Client
    late_cases: int
    exposure: Decimal


def recurring_late(states: Sequence[CaseState], figures: Portfolio) -> list[LateClient]:
    """The recurring late clients of the portfolio, with how many cases went late, most first."""
    wanted = set(figures.recurring_late_clients)
    counts: dict[str, int] = defaultdict(int)
    clients: dict[str, Client] = {}
    for state in states:
        if state.case.client in wanted and went_late(state, figures.today):
            counts[state.case.client] += 1
            clients[state.case.client] = state.client
    owed = {e.client: e.exposure for e in figures.exposures}
    rows = [LateClient(clients[c], counts[c], owed.get(c, ZERO)) for c in wanted if c in clients]
    return sorted(rows, key=lambda r: (-r.late_cases, -r.exposure, r.client.id))


# --- clients -------------------------------------------------------------------------------


@dataclass
class ClientFigures:
    client: Client
    cases: list[CaseState] = field(default_factory=list)
    exposure: Decimal = ZERO
    overdue: Decimal = ZERO
    late_days: list[int] = field(default_factory=list)  # per invoice due by today
    on_time: int = 0  # settled invoices settled by their due date
    settled: int = 0
    broken_promises: int = 0
    disputes: int = 0
    late_cases: int = 0  # cases that went more than 30 days overdue

    @property
    def open_cases(self) -> int:
        return sum(1 for s in self.cases if s.is_open)

    @property
    def credit_limit(self) -> Decimal | None:
        return self.client.credit_limit

    @property
    def over_limit(self) -> bool:
        return self.credit_limit is not None and self.exposure > self.credit_limit

    @property
    def usage(self) -> Decimal | None:
        """Exposure ÷ credit limit (1 = at the limit)."""
        if not self.credit_limit:
            return None
        return (self.exposure / self.credit_limit).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)

    @property
    def average_days_late(self) -> int | None:
        if not self.late_days:
            return None
        return int((Decimal(sum(self.late_days)) / len(self.late_days)).quantize(Decimal(1), rounding=ROUND_HALF_UP))

    @property
    def on_time_rate(self) -> Decimal | None:
        if not self.settled:
            return None
        return (Decimal(self.on_time) / self.settled).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)

    @property
    def behaviour(self) -> str:
        """`none`, `good`, `fair` or `poor`, from the average delay and the late cases."""
        average = self.average_days_late
        if average is None:
            return "none"
        if average <= PUNCTUAL_DAYS and self.late_cases == 0:
            return "good"
        if average <= LATE_DAYS and self.late_cases < 2:
            return "fair"
        return "poor"


def client_figures(states: Sequence[CaseState], clients: Sequence[Client], today: date) -> dict[str, ClientFigures]:
    """Per client: its cases, exposure, delays on every invoice due by today, promises kept."""
    out = {c.id: ClientFigures(c) for c in clients}
    for state in states:
        figures = out.get(state.case.client)
        if figures is None:
            continue
        figures.cases.append(state)
        if state.is_open and state.balance > 0:
            figures.exposure += state.balance
        for inv in state.allocation.invoices:
            due = inv.invoice.due
            if due >= today and inv.balance > 0:
                continue
            settled = inv.settled_on()
            if settled is not None:
                figures.settled += 1
                figures.on_time += settled <= due
            elif state.is_open and inv.balance > 0:
                figures.overdue += inv.balance
            end = settled if settled is not None else today
            if inv.balance > 0 and not state.is_open:
                continue  # written off: its delay has no end to measure
            figures.late_days.append(max(0, (end - due).days))
        figures.broken_promises += sum(1 for p in state.promises if p.outcome == PromiseOutcome.BROKEN)
        figures.disputes += sum(1 for e in state.facts.events if getattr(e, "type", "") == "dispute")
        figures.late_cases += went_late(state, today)
    for figures in out.values():
        figures.cases.sort(key=lambda s: (not s.is_open, -s.balance, s.id))
    return out


def share(part: Decimal, whole: Decimal) -> Decimal | None:
    if whole <= 0:
        return None
    return (part / whole).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


__all__ = [
    "LATE_THRESHOLD_DAYS",
    "AgendaDay",
    "ClientFigures",
    "LateClient",
    "Period",
    "agenda_by_day",
    "client_figures",
    "dso_by_month",
    "limit_breaches",
    "outstanding_on",
    "recovery_between",
    "recovery_by_quarter",
    "recurring_late",
    "share",
    "top_debtors",
]
