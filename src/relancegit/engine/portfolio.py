"""Portfolio figures (docs/engine.md): aging, outstanding, overdue, DSO, recovery rate, which steps
and channels lead to payment, recurring late clients, exposure versus credit limits.

Layer: engine (pure), computed from the case states of `state.compute_all` (each case's
allocation is reused, never recomputed). Choices made here (as docs/engine.md states them):

- Balances are those of open cases, per invoice (an overpaid case counts 0, not less).
- Recovery rate, over invoices due in the 365 days up to today: collected = payments allocated
  to them; written off = their write-offs; still overdue = their balance when past due. Credit
  notes are neither collected nor lost (they correct what was owed), so they are left out.
- Effectiveness, for each dunning action (a reminder, or a call with or without a step): it
  "worked" when a payment came within 14 days after it (a later event of the case, dated at
  most 14 days after); days to payment are counted to the first payment after it.
- Recurring late clients: two or more cases with an invoice still unpaid (in part) 31 days
  after its due date.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from statistics import median

from relancegit.engine.state import CaseState
from relancegit.model import ZERO, Call, Channel, Payment, Reminder, Status

BUCKETS = ("not_due", "1-30", "31-60", "61-90", "90+")
DSO_WINDOW_DAYS = 90
RECOVERY_WINDOW_DAYS = 365
EFFECT_WINDOW_DAYS = 14
LATE_THRESHOLD_DAYS = 30
CALL_STEP = "call"  # label for calls that name no step


def bucket_of(days_past_due: int) -> str:
    if days_past_due <= 0:
        return "not_due"
    if days_past_due <= 30:
        return "1-30"
    if days_past_due <= 60:
        return "31-60"
    if days_past_due <= 90:
        return "61-90"
    return "90+"


@dataclass(frozen=True)
class StepEffect:
    step: str
    channel: str
    count: int
    paid_within_14d: int
    median_days_to_pay: float | None


@dataclass(frozen=True)
class Exposure:
    client: str
    exposure: Decimal
    credit_limit: Decimal | None

    @property
    def over_limit(self) -> bool:
        return self.credit_limit is not None and self.exposure > self.credit_limit


@dataclass(frozen=True)
class StatusTotal:
    count: int
    balance: Decimal


@dataclass(frozen=True)
class Portfolio:
    today: date
    outstanding: Decimal
    overdue: Decimal
    aging: dict[str, Decimal]
    dso: int | None  # days
    recovery_rate: Decimal | None  # 0..1, 4 decimals
    by_status: dict[str, StatusTotal]
    steps: tuple[StepEffect, ...]
    channels: tuple[StepEffect, ...]  # the same, by channel only (step "*")
    recurring_late_clients: tuple[str, ...]
    exposures: tuple[Exposure, ...]


def _open_balances(states: list[CaseState], today: date) -> tuple[Decimal, Decimal, dict[str, Decimal]]:
    aging = dict.fromkeys(BUCKETS, ZERO)
    for state in states:
        if not state.is_open:
            continue
        for inv in state.allocation.invoices:
            if inv.balance > 0:
                aging[bucket_of((today - inv.invoice.due).days)] += inv.balance
    outstanding = sum(aging.values(), ZERO)
    return outstanding, outstanding - aging["not_due"], aging


def days_sales_outstanding(states: list[CaseState], outstanding: Decimal, today: date) -> int | None:
    """Outstanding ÷ amount invoiced in the 90 days up to today × 90."""
    since = today - timedelta(days=DSO_WINDOW_DAYS)
    invoiced = sum((inv.amount for s in states for inv in s.case.invoices if since < inv.date <= today), ZERO)
    return _dso(outstanding, invoiced)


def _dso(outstanding: Decimal, invoiced: Decimal) -> int | None:
    if invoiced <= 0:
        return None
    return int((outstanding / invoiced * DSO_WINDOW_DAYS).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def dso_on(states: Sequence[CaseState], days: Sequence[date]) -> dict[date, int | None]:
    """The DSO as it stood at the end of each of `days`: what was owed then (invoices issued by
    then, less what was settled by then) over what was invoiced in the 90 days before. One pass
    over the invoices for all the days (the dashboard's twelve months)."""
    ends = sorted(set(days))
    outstanding = dict.fromkeys(ends, ZERO)
    invoiced = dict.fromkeys(ends, ZERO)
    window = timedelta(days=DSO_WINDOW_DAYS)
    for state in states:
        for inv in state.allocation.invoices:
            issued, amount = inv.invoice.date, inv.invoice.amount
            settlements = sorted((s.date, s.amount) for s in inv.settlements)
            balance, index = amount, 0
            for end in ends:
                if issued > end:
                    continue
                if end - window < issued:
                    invoiced[end] += amount
                while index < len(settlements) and settlements[index][0] <= end:
                    balance -= settlements[index][1]
                    index += 1
                if balance > 0:
                    outstanding[end] += balance
    return {end: _dso(outstanding[end], invoiced[end]) for end in ends}


def recovery_rate(states: Sequence[CaseState], today: date) -> Decimal | None:
    """Collected ÷ (collected + written off + still overdue), invoices due in the last 365 days."""
    return recovery_between(states, today - timedelta(days=RECOVERY_WINDOW_DAYS - 1), today, today)


def recovery_between(states: Sequence[CaseState], first: date, last: date, today: date) -> Decimal | None:
    """Recovery rate (docs/engine.md) over the invoices due in [first, last], as known today."""
    collected = written_off = still_overdue = ZERO
    for state in states:
        for inv in state.allocation.invoices:
            if not first <= inv.invoice.due <= last or inv.invoice.due > today:
                continue
            for s in inv.settlements:
                if s.kind == "payment":
                    collected += s.amount
                elif s.kind == "write-off":
                    written_off += s.amount
            if today > inv.invoice.due:
                still_overdue += inv.balance
    denominator = collected + written_off + still_overdue
    if denominator <= 0:
        return None
    return (collected / denominator).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def _action_label(event: Reminder | Call, state: CaseState) -> tuple[str, str]:
    if isinstance(event, Call):
        return event.step or CALL_STEP, Channel.PHONE.value
    step = state.policy.step(event.step)
    channel = event.channel or (step.channel if step else None)
    return event.step, (channel.value if channel else "")


def _effects(states: list[CaseState]) -> dict[tuple[str, str], list[int | None]]:
    """For each (step, channel): days from each action to the next payment (None: none yet)."""
    found: dict[tuple[str, str], list[int | None]] = defaultdict(list)
    for state in states:
        events = state.facts.events
        next_payment: date | None = None
        for event in reversed(events):  # one backward pass: the next payment after each action
            if isinstance(event, Payment):
                next_payment = event.date
            elif isinstance(event, (Reminder, Call)):
                days = (next_payment - event.date).days if next_payment is not None else None
                found[_action_label(event, state)].append(days)
    return found


def _effect(step: str, channel: str, days: list[int | None]) -> StepEffect:
    paid = [d for d in days if d is not None]
    return StepEffect(
        step=step,
        channel=channel,
        count=len(days),
        paid_within_14d=sum(1 for d in paid if d <= EFFECT_WINDOW_DAYS),
        median_days_to_pay=float(median(paid)) if paid else None,
    )


def step_effects(states: list[CaseState]) -> tuple[tuple[StepEffect, ...], tuple[StepEffect, ...]]:
    found = _effects(states)
    order = {s.id: i for state in states for i, s in enumerate(state.policy.steps)}
    keys = sorted(found, key=lambda k: (order.get(k[0], len(order)), k))
    steps = tuple(_effect(step, channel, found[(step, channel)]) for step, channel in keys)
    by_channel: dict[str, list[int | None]] = defaultdict(list)
    for (_, channel), days in found.items():
        by_channel[channel].extend(days)
    channels = tuple(_effect("*", channel, by_channel[channel]) for channel in sorted(by_channel))
    return steps, channels


def went_late(state: CaseState, today: date) -> bool:
    """Some invoice still (partly) unpaid 31 days after its due date."""
    for inv in state.allocation.invoices:
        day = inv.invoice.due + timedelta(days=LATE_THRESHOLD_DAYS + 1)
        if day <= today and inv.balance_before(day) > 0:
            return True
    return False


def recurring_late_clients(states: list[CaseState], today: date) -> tuple[str, ...]:
    counts: dict[str, int] = defaultdict(int)
    for state in states:
        if went_late(state, today):
            counts[state.case.client] += 1
    return tuple(sorted(c for c, n in counts.items() if n >= 2))


def exposures(states: list[CaseState]) -> tuple[Exposure, ...]:
    """Open balances per client, beside the client's credit limit, largest first."""
    owed: dict[str, Decimal] = defaultdict(lambda: ZERO)
    clients = {}
    for state in states:
        clients[state.client.id] = state.client
        if state.is_open and state.balance > 0:
            owed[state.client.id] += state.balance
    rows = [
        Exposure(cid, owed[cid], clients[cid].credit_limit)
        for cid in clients
        if owed[cid] > 0 or clients[cid].credit_limit
    ]
    return tuple(sorted(rows, key=lambda e: (-e.exposure, e.client)))


def by_status(states: list[CaseState]) -> dict[str, StatusTotal]:
    counts = {s.value: 0 for s in Status}
    balances = {s.value: ZERO for s in Status}
    for state in states:
        counts[state.status.value] += 1
        balances[state.status.value] += max(state.balance, ZERO)
    return {k: StatusTotal(counts[k], balances[k]) for k in counts}


def portfolio(states: list[CaseState], today: date) -> Portfolio:
    outstanding, overdue, aging = _open_balances(states, today)
    steps, channels = step_effects(states)
    return Portfolio(
        today=today,
        outstanding=outstanding,
        overdue=overdue,
        aging=aging,
        dso=days_sales_outstanding(states, outstanding, today),
        recovery_rate=recovery_rate(states, today),
        by_status=by_status(states),
        steps=steps,
        channels=channels,
        recurring_late_clients=recurring_late_clients(states, today),
        exposures=exposures(states),
    )
