"""Portfolio figures (SPEC §4.8) on a four-case ledger, as of 2026-11-23."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from engine_helpers import d, ledger_of, make_case

from relancegit.engine.portfolio import bucket_of, portfolio
from relancegit.engine.state import compute_all
from relancegit.model import ZERO

TODAY = d("2026-11-23")


def inv(number: str, issued: str, due: str, amount: str) -> list[dict]:
    return [{"number": number, "date": issued, "due": due, "amount": amount}]


def figures():
    cases = [
        # a: 1 000 due 11-13 (10 days late), unpaid; a reminder 11-14 then nothing.
        make_case(
            [{"date": "2026-11-14", "type": "reminder", "step": "reminder-1"}],
            inv("A", "2026-10-14", "2026-11-13", "1000.00"),
            case_id="a",
        ),
        # b: 2 000 due 2026-08-01 (114 days), 500 paid 10 days after the call of 09-01.
        make_case(
            [
                {"date": "2026-09-01", "type": "call", "outcome": "reached", "step": "call"},
                {"date": "2026-09-11", "type": "payment", "amount": 500},
            ],
            inv("B", "2026-07-01", "2026-08-01", "2000.00"),
            case_id="b",
        ),
        # c: 3 000 not yet due (12-20), issued 11-20.
        make_case([], inv("C", "2026-11-20", "2026-12-20", "3000.00"), case_id="c"),
        # d: 400 due 2026-09-01, written off 10-15 after a 100 payment.
        make_case(
            [
                {"date": "2026-09-20", "type": "payment", "amount": 100},
                {"date": "2026-10-15", "type": "write-off", "reason": "liquidation"},
            ],
            inv("D", "2026-08-01", "2026-09-01", "400.00"),
            case_id="d",
            client="zeta",
        ),
    ]
    clients = [{"id": "acme", "name": "ACME", "credit_limit": "4000"}, {"id": "zeta", "name": "Zeta"}]
    ledger = ledger_of(cases, clients)
    return portfolio(compute_all(ledger, TODAY), TODAY)


def test_buckets_by_days_past_due() -> None:
    assert [bucket_of(n) for n in (-3, 0, 1, 30, 31, 60, 61, 90, 91)] == [
        "not_due",
        "not_due",
        "1-30",
        "1-30",
        "31-60",
        "31-60",
        "61-90",
        "61-90",
        "90+",
    ]


def test_aging_outstanding_overdue() -> None:
    f = figures()
    assert f.aging == {
        "not_due": Decimal("3000.00"),
        "1-30": Decimal("1000.00"),
        "31-60": 0,
        "61-90": 0,
        "90+": Decimal("1500.00"),
    }
    assert f.outstanding == Decimal("5500.00")  # 3 000 + 1 000 + 1 500 (d is written off)
    assert f.overdue == Decimal("2500.00")


def test_dso() -> None:
    # Invoiced in (08-25, 11-23]: A 1 000 (10-14) + C 3 000 (11-20) = 4 000.
    # 5 500 / 4 000 × 90 = 123.75 → 124 days.
    assert figures().dso == 124


def test_recovery_rate_leaves_credit_notes_out() -> None:
    # Invoices due in (2025-11-23, 2026-11-23]: A, B, D (C is due later; due date in window only).
    # collected = 500 (B) + 100 (D) = 600; written off = 300 (D); still overdue = 1 000 + 1 500.
    # 600 / (600 + 300 + 2 500) = 0.17647… → 0.1765
    assert figures().recovery_rate == Decimal("0.1765")


def test_step_effectiveness() -> None:
    f = figures()
    by_step = {(e.step, e.channel): e for e in f.steps}
    call = by_step[("call", "phone")]
    assert (call.count, call.paid_within_14d, call.median_days_to_pay) == (1, 1, 10.0)
    reminder = by_step[("reminder-1", "email")]
    assert (reminder.count, reminder.paid_within_14d, reminder.median_days_to_pay) == (1, 0, None)


def test_status_counts_exposure_and_recurring_late() -> None:
    f = figures()
    assert f.by_status["overdue"].count == 2 and f.by_status["overdue"].balance == Decimal("2500.00")
    assert f.by_status["upcoming"].count == 1 and f.by_status["written-off"].count == 1
    acme = next(e for e in f.exposures if e.client == "acme")
    assert acme.exposure == Decimal("5500.00") and acme.over_limit
    # acme: only b went more than 30 days late (a is 10 days late); zeta: one case.
    assert f.recurring_late_clients == ()


def test_recurring_late_client_needs_two_cases_over_30_days() -> None:
    late_paid = [{"date": "2026-10-05", "type": "payment", "amount": 100}]  # 35 days after 09-01 due
    cases = [
        make_case(late_paid, inv("E", "2026-08-01", "2026-09-01", "100.00"), case_id="e"),
        make_case([], inv("F", "2026-08-01", "2026-10-01", "100.00"), case_id="f"),  # 53 days, unpaid
        make_case(
            [{"date": "2026-09-30", "type": "payment", "amount": 100}],  # 29 days: not counted
            inv("G", "2026-08-01", "2026-09-01", "100.00"),
            case_id="g",
            client="zeta",
        ),
        make_case([], inv("H", "2026-08-01", "2026-11-01", "100.00"), case_id="h", client="zeta"),  # 22 days
    ]
    ledger = ledger_of(cases, [{"id": "acme", "name": "ACME"}, {"id": "zeta", "name": "Zeta"}])
    assert portfolio(compute_all(ledger, TODAY), TODAY).recurring_late_clients == ("acme",)


def test_dso_on_many_days_equals_the_dso_computed_day_by_day():
    """`dso_on` (one pass for the dashboard's twelve months) gives, for every day, what
    `days_sales_outstanding` gives from the balances as they stood that day."""
    import sys
    import tempfile
    from datetime import timedelta
    from pathlib import Path

    from relancegit.engine.portfolio import days_sales_outstanding, dso_on
    from relancegit.engine.state import compute_all
    from relancegit.read.load import load_ledger

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    from generate import generate

    today = date(2026, 11, 23)
    with tempfile.TemporaryDirectory() as tmp:
        root = generate(300, Path(tmp), today, seed=9)
        states = compute_all(load_ledger(root, today, use_cache=False).ledger, today)
    days = [today - timedelta(days=d) for d in (0, 1, 23, 30, 31, 59, 60, 61, 90, 200, 365, 400, 800)]

    def outstanding_on(day: date):
        return sum(
            (max(inv.balance_before(day + timedelta(days=1)), ZERO) for s in states for inv in s.allocation.invoices
             if inv.invoice.date <= day),
            ZERO,
        )  # fmt: skip

    expected = {day: days_sales_outstanding(states, outstanding_on(day), day) for day in days}
    assert dso_on(states, days) == expected
    assert len(set(expected.values())) > 5  # the days differ: the comparison means something
