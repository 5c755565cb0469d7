"""Views: French formatting, SPEC §5 JSON shapes, reasons in plain words, text tables."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from engine_helpers import d, ledger_of, make_case, state_of

from relancegit.engine.portfolio import portfolio
from relancegit.engine.state import compute_all
from relancegit.render import tables, views
from relancegit.render.formatting import amount_json, date_long, date_short, money

SHOW_KEYS = {
    "id",
    "client",
    "status",
    "total",
    "paid",
    "credited",
    "written_off",
    "balance",
    "due",
    "days_overdue",
    "penalties",
    "next_action",
    "deadlines",
    "invoices",
}


def test_french_money_uses_narrow_and_plain_no_break_spaces() -> None:
    assert money(Decimal("1500")) == "1\u202f500,00\u00a0€"
    assert money(Decimal("1234567.5")) == "1\u202f234\u202f567,50\u00a0€"
    assert money(Decimal("0.005")) == "0,01\u00a0€"  # half-up
    assert money(Decimal("1500"), language="en") == "€1,500.00"


def test_dates() -> None:
    assert date_long(date(2026, 11, 15)) == "15 novembre 2026"
    assert date_long(date(2026, 11, 1)) == "1er novembre 2026"
    assert date_long(date(2026, 11, 15), "en") == "15 November 2026"
    assert date_short(date(2026, 11, 5)) == "05/11/2026"


def test_json_amounts() -> None:
    assert amount_json(Decimal("1500")) == "1500.00"
    assert amount_json(Decimal("-0")) == "0.00"


def test_show_json_has_the_spec_keys_and_types() -> None:
    s = state_of(
        "2026-11-23",
        [
            {"date": "2026-10-02", "type": "reminder", "step": "reminder-1"},
            {"date": "2026-10-16", "type": "payment", "amount": 750},
        ],
    )
    out = views.case_json(s)
    assert set(out) >= SHOW_KEYS
    assert out["total"] == "1500.00" and out["paid"] == "750.00" and out["balance"] == "750.00"
    assert out["due"] == "2026-10-01" and out["days_overdue"] == 53
    assert set(out["penalties"]) == {"interest", "indemnity", "missing_rates"}
    assert out["penalties"] == {"interest": None, "indemnity": "40.00", "missing_rates": ["2026-H2"]}
    assert {"date", "kind", "step", "channel"} <= set(out["next_action"])
    assert out["next_action"]["kind"] == "step" and out["next_action"]["step"] == "reminder-2"
    assert set(out["deadlines"]) == {"prescription", "escalation", "formal_notice"}
    assert out["deadlines"]["formal_notice"] is None
    assert out["invoices"] == [
        {
            "number": "F1",
            "date": "2026-09-01",
            "due": "2026-10-01",
            "amount": "1500.00",
            "balance": "750.00",
            "interest": None,
        }
    ]
    assert "invoices" not in views.list_json([s])[0]


def test_paid_case_has_null_action() -> None:
    s = state_of("2026-11-23", [{"date": "2026-09-30", "type": "payment", "amount": 1500}])
    assert views.case_json(s)["next_action"] is None


def test_next_json_keys() -> None:
    s = state_of("2026-11-23")
    (row,) = views.next_json([s])
    assert {"case", "client", "date", "kind", "step", "channel", "balance"} <= set(row)
    assert row["balance"] == "1500.00" and row["case"] == "c1" and row["client"] == "acme"


def test_reasons_in_plain_french() -> None:
    promise = {"date": "2026-10-16", "type": "promise", "amount": 750, "due": "2026-10-31"}
    assert views.reason(state_of("2026-11-23", [promise])).startswith("promesse du 16/10 non tenue")
    reminder = [{"date": "2026-10-02", "type": "reminder", "step": "reminder-1"}]
    assert views.reason(state_of("2026-10-05", reminder)) == "2e relance : J+8"
    late = [{"date": "2026-10-05", "type": "reminder", "step": "reminder-1"}]
    assert views.reason(state_of("2026-10-06", late)) == "2e relance : J+8 (5 j après le contact du 05/10)"
    plan = {"date": "2026-10-05", "type": "plan", "installments": [{"due": "2026-12-15", "amount": 1500}]}
    assert views.reason(state_of("2026-11-23", [plan])).startswith("échéance de l'échéancier du 15/12")


def test_next_text_groups_a_clients_cases() -> None:
    cases = [
        make_case(case_id="c1"),
        make_case(
            case_id="c2", invoices=[{"number": "F2", "date": "2026-09-01", "due": "2026-10-02", "amount": "200.00"}]
        ),
    ]
    states = compute_all(ledger_of(cases), d("2026-11-23"))
    text = tables.render(tables.next_text(states, d("2026-11-23"), states))
    assert "ACME Industrie [+1]" in text
    assert "Plusieurs dossiers pour le même client" in text and "c1, c2" in text
    assert "1\u202f700,00\u00a0€" in text  # 1 500 + 200 for the consolidated letter


def test_show_text_mentions_the_essentials() -> None:
    text = tables.render(tables.show_text(state_of("2026-11-23")))
    for needle in (
        "Dossier c1",
        "F1",
        "1\u202f500,00\u00a0€",
        "Prochaine action",
        "lettre de relance : J+30",  # 53 days late, no contact yet: an old debt starts at the letter
        "prescription 01/10/2031",
    ):
        assert needle in text


def test_report_json_shape() -> None:
    states = compute_all(ledger_of([make_case()]), d("2026-11-23"))
    out = views.report_json(portfolio(states, d("2026-11-23")))
    assert {
        "outstanding",
        "overdue",
        "aging",
        "dso",
        "recovery_rate",
        "by_status",
        "steps",
        "recurring_late_clients",
    } <= set(out)
    assert list(out["aging"]) == ["not_due", "1-30", "31-60", "61-90", "90+"]
    assert out["aging"]["31-60"] == "1500.00"
    assert out["by_status"]["overdue"] == {"count": 1, "balance": "1500.00"}
    # Issued 09-01, 83 days ago: 1 500 / 1 500 × 90 = 90 days; nothing collected yet: 0.
    assert out["dso"] == 90 and isinstance(out["dso"], int)
    assert out["recovery_rate"] == 0.0
