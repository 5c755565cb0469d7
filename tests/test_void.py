"""`void`: correcting a mistyped payment, a bounced cheque or a returned transfer by appending,
never by rewriting. The engine computes as if the voided event never happened, from the
void's date on; `check` refuses voids that cannot mean anything."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

from click.testing import CliRunner
from conftest import positions
from engine_helpers import state_of

from relancegit.cli import main
from relancegit.engine.schedule import ActionKind
from relancegit.engine.state import compute_case
from relancegit.enums import Status
from relancegit.read.load import load_ledger

DAY = date(2026, 11, 23)
RATES = {"rates": [{"period": "2026-H2", "ecb": "2.15", "legal_other": "2.62", "legal_private": "6.67"}]}
MISTYPED = [
    {"date": "2026-10-20", "type": "payment", "amount": "5000", "ref": "VIR 8812"},  # meant 50
    {"date": "2026-10-21", "type": "void", "event": 1, "reason": "montant mal saisi (50,00 €)"},
    {"date": "2026-10-21", "type": "payment", "amount": "50", "ref": "VIR 8812"},
]


def test_a_voided_payment_is_as_if_absent():
    """Invoice 1 500,00 € due 2026-10-01; 5 000 typed instead of 50, voided the next day.

    As of 2026-11-23: balance 1 500 − 50 = 1 450,00 €. Interest at 12.15 % (ECB 2.15 + 10):
    1 500 × 12.15 % × 20/365 (2 Oct–21 Oct, the 50 counting from 22 Oct) = 9.9863…
    + 1 450 × 12.15 % × 33/365 (22 Oct–23 Nov) = 15.9277… → 25.91 € (one invoice, rounded once).
    """
    state = state_of("2026-11-23", MISTYPED, config=RATES)
    assert state.balance == Decimal("1450.00")
    assert state.allocation.paid == Decimal("50")
    assert state.status == Status.OVERDUE
    assert state.penalties.interest == Decimal("25.91")
    assert state.penalties.indemnity == Decimal("40")
    without = state_of("2026-11-23", [MISTYPED[2]], config=RATES)  # the same case, never mistyped
    assert (without.balance, without.penalties.interest, without.next_action) == (
        state.balance,
        state.penalties.interest,
        state.next_action,
    )


def test_before_its_date_a_void_has_not_happened_yet():
    state = state_of("2026-10-20", MISTYPED, config=RATES)  # replaying the day of the typo
    assert state.status == Status.PAID and state.balance == Decimal("-3500.00")


def test_a_bounced_cheque_breaks_the_promise_it_kept():
    """Promise of 1 500 for 2026-10-20 (grace 3 days), kept by a cheque on the 18th; the cheque
    bounces and is voided on the 28th. The promise is then broken on 24 Oct (20 + 3 + 1), a
    Saturday: the call to make falls on Monday 26 Oct."""
    events = [
        {"date": "2026-10-10", "type": "promise", "amount": "1500", "due": "2026-10-20"},
        {"date": "2026-10-18", "type": "payment", "amount": "1500", "ref": "CHQ 0042"},
        {"date": "2026-10-28", "type": "void", "event": 2, "reason": "chèque impayé"},
    ]
    before = state_of("2026-10-27", events)
    assert before.status == Status.PAID
    after = state_of("2026-11-02", events)
    assert after.status == Status.OVERDUE and after.balance == Decimal("1500.00")
    assert after.promise is not None and after.promise.outcome.value == "broken"
    action = after.next_action
    assert action is not None and action.kind == ActionKind.PROMISE_BROKEN
    assert action.date.isoformat() == "2026-10-26"


def test_voided_write_off_and_dispute_no_longer_count():
    events = [
        {"date": "2026-10-05", "type": "dispute", "reason": "livraison incomplète"},
        {"date": "2026-10-06", "type": "void", "event": 1, "reason": "saisi sur le mauvais dossier"},
        {"date": "2026-10-07", "type": "write-off", "reason": "erreur"},
        {"date": "2026-10-08", "type": "void", "event": 3, "reason": "pas de passage en perte"},
    ]
    state = state_of("2026-11-23", events)
    assert state.status == Status.OVERDUE and state.allocation.written_off == 0


CASE_HEAD = """\
id: 2026-0042
client: acme
invoices:
  - {number: F2026-0042, date: 2026-09-01, due: 2026-10-01, amount: 1500.00}
events:
  - {date: 2026-10-16, type: payment, amount: 5000}
"""


def case_with(*lines: str) -> dict[str, str]:
    return {"cases/2026/2026-0042.yaml": CASE_HEAD + "".join(f"  - {line}\n" for line in lines)}


def test_void_clears_the_overpayment_warning(load):
    assert [m for *_, m in positions(load(case_with()))] == [
        "overpayment: payments and credit notes reach 5000.00, more than the 1500.00 invoiced"
    ]
    fixed = load(case_with("{date: 2026-10-17, type: void, event: 1, reason: typo}"))
    assert positions(fixed) == []


def test_voids_that_mean_nothing_are_located_errors(load):
    zero = load(case_with("{date: 2026-10-17, type: void, event: 0, reason: zero}"))
    [(name, line, column, severity, message)] = positions(zero)
    assert (name, line, column, severity) == (
        "2026-0042.yaml",
        7,
        43,
        "error",
    ) and "greater than or equal to 1" in message
    result = load(
        case_with(
            "{date: 2026-10-17, type: void, event: 1, reason: typo}",
            "{date: 2026-10-18, type: void, event: 1, reason: again}",
            "{date: 2026-10-18, type: void, event: 2, reason: undo}",
            "{date: 2026-10-18, type: void, event: 9, reason: out of range}",
        )
    )
    assert positions(result) == [
        ("2026-0042.yaml", 8, 43, "error", "event 1 is already voided by event 2"),
        ("2026-0042.yaml", 9, 43, "error", "event 2 is a void: to restore an event, record it again"),
        (
            "2026-0042.yaml",
            10,
            43,
            "error",
            "void of event 9: a void cancels an earlier event of this case (4 events before it)",
        ),
    ]


def test_record_void_and_show_strike_it_through(make_ledger):
    root = make_ledger(case_with())
    runner = CliRunner()
    today = ["--ledger", str(root), "--today", "2026-11-23"]
    done = runner.invoke(main, [*today, "record", "2026-0042", "void", "event=1", "reason=chèque impayé"])
    assert done.exit_code == 0, done.output
    ledger = load_ledger(root, DAY)
    assert positions(ledger) == []
    state = compute_case(ledger.ledger, ledger.ledger.cases["2026-0042"], DAY)
    assert state.balance == Decimal("1500.00")
    shown = runner.invoke(main, [*today, "show", "2026-0042"], env={"COLUMNS": "200"})
    assert "(annulé le 23/11/2026 : chèque impayé)" in shown.output
    assert "annulation de l'événement n° 1 : chèque impayé" in shown.output


def test_site_shows_the_voided_event_struck_through(make_ledger, tmp_path: Path):
    from relancegit.site import write_site

    root = make_ledger(case_with("{date: 2026-10-17, type: void, event: 1, reason: chèque impayé}"))
    ledger = load_ledger(root, date(2026, 11, 23)).ledger
    write_site(ledger, date(2026, 11, 23), tmp_path / "site")
    page = (tmp_path / "site/cases/2026-0042.html").read_text(encoding="utf-8")
    assert '<tr class="tl-payment is-voided">' in page
    assert "<del>paiement 5 000,00 €</del>" in page.replace("\u202f", " ").replace("\xa0", " ")
    assert "(annulé le 17/10/2026 : chèque impayé)" in page


PLAN_1 = (
    "{date: 2026-10-20, type: plan, signed: true, "
    "installments: [{due: 2026-11-15, amount: 700}, {due: 2026-12-15, amount: 700}]}"
)
PLAN_2 = (
    "{date: 2026-10-27, type: plan, signed: true, "
    "installments: [{due: 2026-11-15, amount: 750}, {due: 2026-12-15, amount: 750}]}"
)


def test_a_later_plan_replaces_the_earlier_one(load):
    """Only the latest plan is checked against the balance: a corrected plan ends the warning."""
    head = {"cases/2026/2026-0042.yaml": CASE_HEAD.replace("  - {date: 2026-10-16, type: payment, amount: 5000}\n", "")}
    path = "cases/2026/2026-0042.yaml"
    wrong = load({path: head[path] + f"  - {PLAN_1}\n"})
    assert [(line, m) for _, line, _, _, m in positions(wrong)] == [
        (6, "installments total 1400.00 but the balance on 2026-10-20 is 1500.00")
    ]
    assert positions(load({path: head[path] + f"  - {PLAN_1}\n  - {PLAN_2}\n"})) == []
    again = load({path: head[path] + f"  - {PLAN_2}\n  - {PLAN_1.replace('10-20', '10-28')}\n"})
    assert [(line, m) for _, line, _, _, m in positions(again)] == [
        (7, "installments total 1400.00 but the balance on 2026-10-28 is 1500.00")
    ]
