"""Late-payment penalties (SPEC §4.7), worked by hand.

interest = Σ over days d after the due date (balance at the start of d × annual rate / 365),
a settlement dated d counting from d + 1; summed exactly, rounded half-up once per invoice.
Written below as Σ balance × rate(%) × days, divided by 36 500.
Rates (LEGAL-FR.md): ECB 2025-H1 3.15 → 13.15 %, 2025-H2 2.15 → 12.15 %, 2026-H1 2.15 →
12.15 %; legal rate "other cases" 2026-H1 2.62 %. 2026-H2 is unknown in the shipped table.
"""

from __future__ import annotations

from decimal import Decimal

from engine_helpers import state_of

CONSUMER = [{"id": "acme", "name": "Mme Martin", "type": "consumer"}]
FIXED_12 = {"penalties": {"rate": "12%"}}


def invoice(due: str, amount: str = "1000.00", number: str = "F1", issued: str | None = None) -> dict:
    return {"number": number, "date": issued or due, "due": due, "amount": amount}


def test_half_year_boundary_with_a_partial_payment() -> None:
    # 1 000.00 due 2025-06-20; 400 paid 2025-07-10, 600 paid 2025-08-04.
    #   06-21 … 06-30: 10 days × 1 000 × 13.15 = 131 500   (2025-H1: ECB 3.15 + 10)
    #   07-01 … 07-10: 10 days × 1 000 × 12.15 = 121 500   (2025-H2; paid on 07-10 counts from 07-11)
    #   07-11 … 08-04: 25 days ×   600 × 12.15 = 182 250   (21 in July + 4 in August)
    #   435 250 / 36 500 = 11.9246… → 11.92
    s = state_of(
        "2025-12-31",
        [
            {"date": "2025-07-10", "type": "payment", "amount": 400},
            {"date": "2025-08-04", "type": "payment", "amount": 600},
        ],
        invoices=[invoice("2025-06-20")],
    )
    p = s.penalties
    assert p.interest == Decimal("11.92")
    assert p.invoices[0].late_days == 45
    assert p.indemnity == Decimal("40")  # D441-5: settled after its due date
    assert p.missing_rates == ()


def test_payment_on_the_due_date_is_on_time() -> None:
    s = state_of(
        "2025-12-31", [{"date": "2025-06-20", "type": "payment", "amount": 1000}], invoices=[invoice("2025-06-20")]
    )
    assert (s.penalties.interest, s.penalties.indemnity) == (Decimal("0"), Decimal("0"))


def test_payment_the_next_day_bears_one_day() -> None:
    # 1 day × 1 000 × 12 = 12 000 / 36 500 = 0.3287… → 0.33, and the indemnity.
    s = state_of(
        "2026-12-31",
        [{"date": "2026-10-02", "type": "payment", "amount": 1000}],
        invoices=[invoice("2026-10-01")],
        config=FIXED_12,
    )
    assert (s.penalties.interest, s.penalties.indemnity) == (Decimal("0.33"), Decimal("40"))


def test_fixed_rate_needs_no_table_row() -> None:
    # 08-01 … 08-30: 30 days × 1 000 × 12 = 360 000 / 36 500 = 9.863… → 9.86 (2026-H2 unknown, unused).
    s = state_of("2026-08-30", invoices=[invoice("2026-07-31")], config=FIXED_12)
    assert s.penalties.interest == Decimal("9.86")
    assert s.penalties.missing_rates == ()


def test_round_half_up_once_per_invoice() -> None:
    # 1 day × 456.25 × 10 = 4 562.5 / 36 500 = 0.125 exactly → 0.13 (half-up, not half-even 0.12).
    s = state_of("2026-02-02", invoices=[invoice("2026-02-01", "456.25")], config={"penalties": {"rate": "10%"}})
    assert s.penalties.interest == Decimal("0.13")


def test_unknown_half_year_gives_null_interest_and_names_it() -> None:
    # Due 2026-06-20, today 2026-07-05: days in 2026-H1 and 2026-H2; 2026-H2 is not shipped.
    s = state_of("2026-07-05", invoices=[invoice("2026-06-20")])
    assert s.penalties.interest is None
    assert s.penalties.invoices[0].interest is None
    assert s.penalties.missing_rates == ("2026-H2",)
    assert s.penalties.indemnity == Decimal("40")  # everything else still works
    assert s.next_action is not None and s.balance == Decimal("1000.00")


def test_a_ledger_rates_row_fills_the_gap() -> None:
    # With 2026-H2 ECB 2.15 → 12.15 %: 06-21 … 07-05 = 15 days × 1 000 × 12.15 = 182 250
    # / 36 500 = 4.993… → 4.99.
    config = {"rates": [{"period": "2026-H2", "ecb": "2.15", "legal_other": "2.62"}]}
    s = state_of("2026-07-05", invoices=[invoice("2026-06-20")], config=config)
    assert s.penalties.interest == Decimal("4.99")


def test_invoice_settled_before_the_unknown_half_year_is_known() -> None:
    s = state_of(
        "2026-11-23", [{"date": "2026-06-25", "type": "payment", "amount": 1000}], invoices=[invoice("2026-06-20")]
    )
    # 06-21 … 06-25: 5 days × 1 000 × 12.15 = 60 750 / 36 500 = 1.664… → 1.66
    assert s.penalties.interest == Decimal("1.66")


def test_consumer_legal_interest_from_the_formal_notice() -> None:
    # 2 000.00 due 2026-03-01; formal notice 04-10; 500 paid 04-20; today 05-10; "autres cas" 2.62 %.
    #   04-11 … 04-20: 10 days × 2 000 × 2.62 = 52 400
    #   04-21 … 05-10: 20 days × 1 500 × 2.62 = 78 600
    #   131 000 / 36 500 = 3.589… → 3.59; no indemnity for a consumer (CPCE L111-8).
    s = state_of(
        "2026-05-10",
        [
            {"date": "2026-04-10", "type": "reminder", "step": "formal-notice"},
            {"date": "2026-04-20", "type": "payment", "amount": 500},
        ],
        invoices=[invoice("2026-03-01", "2000.00")],
        clients=CONSUMER,
    )
    assert (s.penalties.interest, s.penalties.indemnity) == (Decimal("3.59"), Decimal("0"))


def test_consumer_without_formal_notice_owes_no_interest() -> None:
    s = state_of("2026-05-10", invoices=[invoice("2026-03-01", "2000.00")], clients=CONSUMER)
    assert (s.penalties.interest, s.penalties.indemnity) == (Decimal("0"), Decimal("0"))


def test_indemnity_per_late_invoice() -> None:
    two = [invoice("2026-03-01", number="A"), invoice("2026-03-15", number="B")]
    s = state_of("2026-04-01", invoices=two)
    assert s.penalties.indemnity == Decimal("80")


def test_credit_note_stops_interest_and_cancelling_remainder_owes_no_indemnity() -> None:
    # Credit note for the whole invoice on 2026-03-05: interest 03-02 … 03-05 = 4 days
    # × 1 000 × 12.15 = 48 600 / 36 500 = 1.331… → 1.33; nothing was paid late: no indemnity.
    s = state_of(
        "2026-05-01", [{"date": "2026-03-05", "type": "credit-note", "amount": 1000}], invoices=[invoice("2026-03-01")]
    )
    assert (s.penalties.interest, s.penalties.indemnity) == (Decimal("1.33"), Decimal("0"))


def test_write_off_stops_interest() -> None:
    # Written off 2026-03-03: 03-02 … 03-03 = 2 days × 1 000 × 12.15 = 24 300 / 36 500 = 0.665… → 0.67
    s = state_of(
        "2026-05-01",
        [{"date": "2026-03-03", "type": "write-off", "reason": "liquidation"}],
        invoices=[invoice("2026-03-01")],
    )
    assert s.penalties.interest == Decimal("0.67")


# --- the `check` warning for a missing half-year (checks.missing_rates) ----------------------

BARE_CONFIG = """\
creditor:
  name: Atelier Dupré SARL
  address: [12 rue des Tanneurs, 69007 Lyon]
"""
LATE_CASE = """\
id: {id}
client: acme
invoices:
  - {{number: F-{id}, date: 2026-06-01, due: 2026-07-01, amount: 100}}
"""


def _rate_warnings(result) -> list[str]:
    return [p.message for p in result.warnings if "rates" in p.message]


def test_check_warns_once_naming_the_row_to_add(load) -> None:
    result = load(
        {
            "relancegit.yaml": BARE_CONFIG,
            "cases/2026/2026-0042.yaml": LATE_CASE.format(id="2026-0042"),
            "cases/2026/2026-0043.yaml": LATE_CASE.format(id="2026-0043"),
        }
    )
    (message,) = _rate_warnings(result)
    assert "2026-H2" in message and "2 cases" in message
    assert "{period: 2026-H2, ecb: …, legal_other: …}" in message
    (problem,) = [p for p in result.warnings if "rates" in p.message]
    assert problem.file.name == "relancegit.yaml"
    assert not result.errors


def test_no_rate_warning_with_the_row_or_a_fixed_rate(load) -> None:
    case = {"cases/2026/2026-0042.yaml": LATE_CASE.format(id="2026-0042")}
    with_row = BARE_CONFIG + "rates:\n  - {period: 2026-H2, ecb: 2.15, legal_other: 2.62}\n"
    assert _rate_warnings(load({**case, "relancegit.yaml": with_row})) == []
    fixed = BARE_CONFIG + "penalties:\n  rate: 12%\n"
    assert _rate_warnings(load({**case, "relancegit.yaml": fixed})) == []


def test_latest_unknown_half_year_walks_back_to_the_gap(load) -> None:
    """The shortcut of the missing-rate lint (checks.Context.latest_unknown_half_year), by hand:
    the shipped table runs from 2023-H1 to 2026-H1 (data/rates.yaml)."""
    from datetime import date

    from relancegit.rules import checks

    def latest(config: str, debtor: str, today: date) -> tuple[int, int]:
        result = load({"relancegit.yaml": config}, today=today)
        candidates = checks.Candidates(
            root=result.ledger.root,
            config=result.ledger.config,
            config_path=result.ledger.root / "relancegit.yaml",
            clients=[],
            broken_clients=set(),
            cases=[],
        )
        return checks.context(candidates, today).latest_unknown_half_year(debtor)  # type: ignore[arg-type]

    # 2026-H2 has no row: it is the gap, for businesses (ECB) and consumers (legal rate).
    assert latest(BARE_CONFIG, "business", date(2026, 11, 23)) == (2026, 2)
    assert latest(BARE_CONFIG, "consumer", date(2026, 11, 23)) == (2026, 2)
    # Today in 2026-H1: every row back to 2023-H1 is known; the gap is 2022-H2, before the table.
    assert latest(BARE_CONFIG, "business", date(2026, 3, 2)) == (2022, 2)
    # A fixed contractual rate is never unknown for a business (and the walk stops).
    fixed = BARE_CONFIG + "penalties:\n  rate: 12%\n"
    assert latest(fixed, "business", date(2026, 11, 23)) == (0, 0)
    assert latest(fixed, "consumer", date(2026, 11, 23)) == (2026, 2)  # consumers: the legal rate
