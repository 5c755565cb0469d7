"""Property tests of the engine on generated cases: allocation bounds, balances that add up,
the minimum gap before a dunning step, and day-by-day replay that never crashes."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from engine_helpers import ledger_of, make_case
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from relancegit.engine.schedule import ActionKind
from relancegit.engine.state import compute_case
from relancegit.model import ZERO, Status

START = date(2026, 1, 5)
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
STEPS = ["pre-due", "reminder-1", "reminder-2", "call", "letter", "formal-notice", "escalate"]

amounts = st.integers(min_value=1, max_value=500_000).map(lambda c: Decimal(c) / 100)
days = st.integers(min_value=0, max_value=240)


@st.composite
def cases(draw: Any) -> dict[str, Any]:
    count = draw(st.integers(1, 3))
    invoices = []
    for i in range(count):
        issued = START + timedelta(days=draw(st.integers(0, 60)))
        invoices.append(
            {
                "number": f"F{i}",
                "date": issued.isoformat(),
                "due": (issued + timedelta(days=draw(st.integers(0, 60)))).isoformat(),
                "amount": str(draw(amounts)),
            }
        )
    numbers = [inv["number"] for inv in invoices]
    event = st.one_of(
        st.builds(
            lambda a, n: {"type": "payment", "amount": str(a), **({"invoice": n} if n else {})},
            amounts,
            st.sampled_from([None, *numbers]),
        ),
        st.builds(lambda a: {"type": "credit-note", "amount": str(a)}, amounts),
        st.builds(lambda s: {"type": "reminder", "step": s}, st.sampled_from(STEPS)),
        st.builds(lambda o: {"type": "call", "outcome": o}, st.sampled_from(["reached", "no-answer"])),
        st.builds(lambda a, k: {"type": "promise", "amount": str(a), "_due": k}, amounts, st.integers(0, 30)),
        st.builds(lambda k: {"type": "pause", "_until": k}, st.integers(0, 30)),
        st.builds(lambda a, k: {"type": "plan", "_inst": (a, k)}, amounts, st.integers(1, 40)),
        st.just({"type": "dispute", "reason": "x"}),
        st.just({"type": "dispute-resolved"}),
        st.just({"type": "acknowledgement"}),
        st.just({"type": "escalation", "to": "agency"}),
        st.just({"type": "write-off", "reason": "x"}),
    )
    raw = draw(st.lists(st.tuples(days, event), max_size=12))
    events = []
    for offset, src in sorted(raw, key=lambda t: t[0]):  # events are appended in date order
        day = START + timedelta(days=offset)
        ev = {k: v for k, v in src.items() if not k.startswith("_")} | {"date": day.isoformat()}
        if "_due" in src:
            ev["due"] = (day + timedelta(days=src["_due"])).isoformat()
        if "_until" in src:
            ev["until"] = (day + timedelta(days=src["_until"])).isoformat()
        if "_inst" in src:
            amount, gap = src["_inst"]
            ev["installments"] = [
                {"due": (day + timedelta(days=gap * k)).isoformat(), "amount": str(amount)} for k in (1, 2)
            ]
        events.append(ev)
    return make_case(events, invoices)


def states(case: dict[str, Any], today: date):
    ledger = ledger_of([case])
    return compute_case(ledger, ledger.cases["c1"], today)


@SETTINGS
@given(cases(), days)
def test_allocations_never_exceed_an_invoice_and_balances_add_up(case: dict[str, Any], offset: int) -> None:
    s = states(case, START + timedelta(days=offset))
    alloc = s.allocation
    for inv in alloc.invoices:
        assert ZERO <= inv.allocated <= inv.invoice.amount
    # Σ invoice balances = case balance + what no invoice could absorb (overpayment).
    assert sum((i.balance for i in alloc.invoices), ZERO) == alloc.balance + alloc.unallocated
    assert alloc.balance == alloc.total - alloc.paid - alloc.credited - alloc.written_off


@SETTINGS
@given(cases(), days)
def test_a_dunning_step_never_comes_before_the_minimum_gap(case: dict[str, Any], offset: int) -> None:
    s = states(case, START + timedelta(days=offset))
    action = s.next_action
    if action is not None and action.kind == ActionKind.STEP and s.facts.last_contact is not None:
        assert action.date >= s.facts.last_contact + timedelta(days=s.policy.min_gap_days)
    if action is not None:
        assert action.date >= action.planned and action.date.weekday() < 5


@settings(max_examples=25, deadline=None)
@given(cases())
def test_replaying_day_by_day_never_crashes(case: dict[str, Any]) -> None:
    for offset in range(0, 260, 3):
        s = states(case, START + timedelta(days=offset))
        closed = s.status in (Status.PAID, Status.WRITTEN_OFF)
        assert (s.next_action is None) == closed
        assert s.days_overdue >= 0
