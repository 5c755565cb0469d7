"""One test per validation rule of SPEC §3: the message and its exact line and column."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

import pytest
from conftest import CASE, CLIENT, positions

E, W = "error", "warning"


def only(result, name: str | None = None):
    """The problems, optionally of one file only."""
    found = positions(result)
    return [p for p in found if name is None or p[0] == name]


def case(text: str) -> dict[str, str]:
    return {"cases/2026/2026-0042.yaml": text}


# --- YAML itself ---------------------------------------------------------------------------


def test_yaml_syntax_error(load):
    result = load(case("id: 2026-0042\nclient: [acme\ninvoices: []\n"))
    assert only(result) == [
        ("2026-0042.yaml", 3, 9, E, "invalid YAML: did not find expected ',' or ']' (while parsing a flow sequence)")
    ]


def test_wrong_indentation(load):
    text = "id: 2026-0042\nclient: acme\ninvoices:\n  - number: F1\n   date: 2026-09-01\n"
    assert only(load(case(text))) == [
        (
            "2026-0042.yaml",
            5,
            4,
            E,
            "invalid YAML: did not find expected '-' indicator (while parsing a block collection)",
        )
    ]


def test_tab_indentation(load):
    text = "id: 2026-0042\nclient: acme\ninvoices:\n\t- number: F1\n"
    assert only(load(case(text))) == [
        ("2026-0042.yaml", 4, 1, E, "invalid YAML: a tab character is used for indentation; indent with spaces")
    ]


def test_empty_file(load):
    assert only(load(case("\n  \n"))) == [("2026-0042.yaml", 1, 1, E, "empty file: expected a YAML mapping")]


def test_not_utf8(load):
    result = load({"clients/acme.yaml": "id: acme\nname: Caf\xe9 SARL\n".encode("latin-1")})
    assert only(result, "acme.yaml") == [
        ("acme.yaml", 2, 10, E, "file is not valid UTF-8 (byte 0xe9); save it as UTF-8")
    ]


def test_top_level_must_be_a_mapping(load):
    assert only(load(case("- id: 2026-0042\n"))) == [
        ("2026-0042.yaml", 1, 1, E, "expected a mapping of keys at the top of the file, got a list")
    ]


def test_python_tag_is_rejected_and_never_executed(load, tmp_path: Path):
    marker = tmp_path / "pwned"
    text = f"id: 2026-0042\nclient: !!python/object/apply:os.system ['touch {marker}']\n"
    assert only(load(case(text))) == [
        ("2026-0042.yaml", 2, 9, E, "YAML tags are not allowed in ledger files (!!python/object/apply:os.system)")
    ]
    assert not marker.exists()


def test_alias_bomb_rejected_fast(load):
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    start = time.perf_counter()
    result = load(case("\n".join(lines) + "\n"))
    assert time.perf_counter() - start < 0.5
    assert only(result) == [("2026-0042.yaml", 1, 4, E, "anchors and aliases are not allowed in ledger files")]


def test_deep_nesting_is_rejected_not_crashing(load):
    """50,000 levels would crash a recursive composer. Which guard stops it first, ours (past
    100 levels) or libyaml's own limit (PyYAML 6.0.4 and later), and with which wording, is the
    library's business: the behaviour is one located error on the nesting line, no crash."""
    text = "id: 2026-0042\nclient: " + "[" * 50_000 + "]" * 50_000 + "\n"
    [(file, line, column, severity, message)] = only(load(case(text)))
    assert (file, line, severity) == ("2026-0042.yaml", 2, E)
    assert 9 < column <= 9 + 50_000 and "nest" in message


def test_nesting_past_100_levels_is_our_error(load):
    """A file with many nesting markers is scanned flat before composing: past 100 levels (any
    ledger file needs about 6), well under libyaml's own limit, our guard names the place where
    the 101st level opens."""
    padding = "# " + "[" * 2_000 + "\n"  # enough markers to be scanned
    text = padding + "id: 2026-0042\nclient: " + "[" * 150 + "]" * 150 + "\n"
    column = len("client: ") + 100  # the top mapping is level 1: the 100th bracket opens level 101
    assert only(load(case(text))) == [("2026-0042.yaml", 3, column, E, "YAML nested more than 100 levels deep")]


def test_duplicate_key(load):
    text = CASE.replace("client: acme\n", "client: acme\nclient: acme\n")
    assert only(load(case(text))) == [("2026-0042.yaml", 3, 1, E, "duplicate key 'client'")]


def test_control_character(load):
    assert only(load({"clients/acme.yaml": "id: acme\nname: AC\x07ME\n"}), "acme.yaml") == [
        ("acme.yaml", 2, 9, E, "control character U+0007 is not allowed in YAML")
    ]


# --- keys and types --------------------------------------------------------------------------


def test_unknown_key_with_suggestion(load):
    text = CASE.replace("    amount: 1500.00", "    amout: 1500.00")
    assert only(load(case(text))) == [
        ("2026-0042.yaml", 4, 5, E, "missing required key 'amount'"),
        ("2026-0042.yaml", 7, 5, E, "unknown key 'amout' (did you mean 'amount'?)"),
    ]


def test_missing_required_key(load):
    text = CASE.replace("client: acme\n", "")
    assert only(load(case(text))) == [("2026-0042.yaml", 1, 1, E, "missing required key 'client'")]


def test_wrong_types(load):
    text = CASE.replace("amount: 1500.00", "amount: beaucoup").replace(
        "events:\n", "events:\n  - {date: 2026-10-01, type: call, outcome: reached, step: [a]}\n"
    )
    assert only(load(case(text))) == [
        ("2026-0042.yaml", 7, 13, E, "expected an amount such as 1500.00, got 'beaucoup'"),
        ("2026-0042.yaml", 9, 60, E, "step: expected text, got a list"),
    ]


def test_events_must_be_a_list(load):
    text = CASE.split("events:")[0] + "events: {date: 2026-10-02}\n"
    assert only(load(case(text))) == [("2026-0042.yaml", 8, 9, E, "events: expected a list, got a mapping")]


def test_impossible_date(load):
    text = CASE.replace("date: 2026-09-01", "date: 2026-02-30")
    assert only(load(case(text))) == [
        ("2026-0042.yaml", 5, 11, E, "invalid date '2026-02-30': day is out of range for month")
    ]


def test_date_must_be_iso(load):
    text = CASE.replace("due: 2026-10-01", "due: 01/10/2026")
    assert only(load(case(text))) == [("2026-0042.yaml", 6, 10, E, "write dates as YYYY-MM-DD: 2026-10-01")]


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("1500.001", "amount 1500.001 has more than 2 decimals"),
        ("0", "amount must be greater than 0, got 0"),
        ("-20.00", "amount must be greater than 0, got -20.00"),
        ('"12,50"', "decimal comma: write 12.50"),
    ],
)
def test_bad_amounts(load, amount: str, message: str):
    text = CASE.replace("amount: 750", f"amount: {amount}")
    assert only(load(case(text))) == [("2026-0042.yaml", 10, 47, E, message)]


@pytest.mark.parametrize(
    ("old", "new", "line", "column"),
    [
        ("due: 2026-10-01", "due: 9999-12-31", 6, 10),
        ("date: 2026-09-01", "date: 1899-12-31", 5, 11),
        ("date: 2026-10-16,", 'date: "0001-01-01",', 10, 12),
        ("due: 2026-10-01", "due: 2200-01-01", 6, 10),
    ],
)
def test_dates_outside_1900_to_2199_are_errors(load, old: str, new: str, line: int, column: int):
    day = new.split(":", 1)[1].strip(' ",')
    message = f"date {day} is out of range: expected 1900-01-01 to 2199-12-31"
    assert only(load(case(CASE.replace(old, new)))) == [("2026-0042.yaml", line, column, E, message)]


def test_dates_at_the_limits_are_accepted(load):
    text = CASE.replace("date: 2026-09-01", "date: 1900-01-01").replace("due: 2026-10-01", "due: 2199-12-31")
    found = only(load(case(text)))
    assert all(p[3] == W for p in found), found  # a long payment term, nothing else


@pytest.mark.parametrize(
    ("old", "new", "line", "column", "message"),
    [
        (
            "amount: 1500.00",
            "amount: 12345678901234567890123456",
            7,
            13,
            "amount 12345678901234567890123456 is too large: amounts must be below 1,000,000,000,000",
        ),
        (
            "amount: 750",
            "amount: 1000000000000",
            10,
            47,
            "amount 1000000000000 is too large: amounts must be below 1,000,000,000,000",
        ),
        (
            "amount: 750",
            "amount: 1.0e+30",
            10,
            47,
            "amount 1.0E+30 is too large: amounts must be below 1,000,000,000,000",
        ),
    ],
)
def test_amounts_of_more_than_12_digits_are_errors(load, old: str, new: str, line: int, column: int, message: str):
    assert only(load(case(CASE.replace(old, new)))) == [("2026-0042.yaml", line, column, E, message)]


def test_numbers_too_long_for_python_to_convert_are_located_errors(load):
    digits = "1" * 5000  # past Python's 4300-digit limit on int(text): a ValueError, not a YAML error
    config = f"creditor: {{name: X, address: [Y]}}\npolicies:\n  slow:\n    grace_days: {digits}\n"
    result = load(
        {"relancegit.yaml": config, "cases/2026/2026-0042.yaml": CASE.replace("amount: 750", f"amount: {digits}")}
    )
    shown = "1" * 37 + "..."
    assert [p for p in only(result) if p[3] == E] == [
        ("2026-0042.yaml", 10, 47, E, f"amount {shown} is too large: amounts must be below 1,000,000,000,000"),
        ("relancegit.yaml", 4, 17, E, f"grace_days: expected a whole number, got '{shown}'"),
    ]


def test_largest_amount_is_accepted(load):
    result = load(case(CASE.replace("amount: 1500.00", "amount: 999999999999.99")))
    assert [p for p in only(result) if p[3] == E] == []
    assert str(result.ledger.cases["2026-0042"].invoices[0].amount) == "999999999999.99"


def test_config_day_counts_offsets_and_rates_have_limits(load):
    config = (
        "creditor: {name: X, address: [Y]}\n"
        "penalties: {rate: 101%, indemnity: 10000000000000}\n"
        "rates:\n"
        "  - {period: 2026-H2, ecb: 1000, legal_other: 2.62}\n"
        "policies:\n"
        "  slow:\n"
        "    grace_days: 99999\n"
        "    steps:\n"
        "      - {id: formal-notice, offset: -100000, channel: email, deadline_days: 3661}\n"
    )
    assert only(load({"relancegit.yaml": config, "cases/2026/2026-0042.yaml": None}), "relancegit.yaml") == [
        ("relancegit.yaml", 2, 19, E, "penalty rate '101%' is too large: at most 100% or ecb+100"),
        (
            "relancegit.yaml",
            2,
            36,
            E,
            "amount 10000000000000 is too large: amounts must be below 1,000,000,000,000",
        ),
        ("relancegit.yaml", 4, 28, E, "rate 1000 is too large: at most 100 (percent)"),
        ("relancegit.yaml", 7, 17, E, "grace_days: value should be less than or equal to 3660, got 99999"),
        ("relancegit.yaml", 9, 37, E, "offset: value should be greater than or equal to -3660, got -100000"),
        ("relancegit.yaml", 9, 77, E, "deadline_days: value should be less than or equal to 3660, got 3661"),
    ]


def test_amount_as_string_is_decimal(load):
    result = load(case(CASE.replace("amount: 1500.00", 'amount: "1500.10"')))
    assert only(result) == []
    assert str(result.ledger.cases["2026-0042"].invoices[0].amount) == "1500.10"


def test_unknown_event_type(load):
    text = CASE.replace("type: payment", "type: virment")
    assert only(load(case(text))) == [
        (
            "2026-0042.yaml",
            10,
            30,
            E,
            "unknown event type 'virment' (expected one of: reminder, call, promise, payment, "
            "credit-note, plan, dispute, dispute-resolved, pause, escalation, write-off, "
            "acknowledgement, title, note, void)",
        )
    ]


def test_invalid_literal(load):
    text = CASE.replace("events:\n", "events:\n  - {date: 2026-10-01, type: call, outcome: busy}\n")
    assert only(load(case(text))) == [
        ("2026-0042.yaml", 9, 45, E, "invalid outcome 'busy': expected 'reached', 'no-answer' or 'voicemail'")
    ]


def test_invalid_identifier(load):
    assert only(load({"clients/Acme Corp.yaml": "id: Acme Corp\nname: X\n"}), "Acme Corp.yaml") == [
        (
            "Acme Corp.yaml",
            1,
            5,
            E,
            "invalid id 'Acme Corp': use lowercase letters, digits, '.', '_' and '-', starting with a letter or digit",
        )
    ]


# --- identity and references ---------------------------------------------------------------


def test_id_must_match_file_name(load):
    text = CASE.replace("id: 2026-0042", "id: 2026-0043")
    assert only(load(case(text))) == [
        ("2026-0042.yaml", 1, 5, E, "id '2026-0043' does not match the file name (expected '2026-0042')")
    ]


def test_duplicate_case_id_across_folders(load):
    result = load({"cases/2025/2026-0042.yaml": CASE.replace("F2026-0042", "F2025-0001")})
    assert only(result) == [
        (
            "2026-0042.yaml",
            1,
            5,
            E,
            f"duplicate case id '2026-0042' (also in {result.ledger.root}/cases/2025/2026-0042.yaml)",
        )
    ]


def test_duplicate_client_id_across_suffixes(load):
    """clients/acme.yaml and clients/acme.yml both name client 'acme': the second is refused,
    the first stays the client of its cases."""
    result = load({"clients/acme.yml": CLIENT.replace("ACME Industrie SAS", "ACME Bis")})
    assert only(result) == [
        ("acme.yml", 1, 5, E, f"duplicate client id 'acme' (also in {result.ledger.root}/clients/acme.yaml)")
    ]
    assert result.ledger.clients["acme"].name == "ACME Industrie SAS"
    assert "2026-0042" in result.ledger.cases


def test_duplicate_invoice_number(load):
    other = CASE.replace("2026-0042\nclient", "2026-0043\nclient").replace("events:", "x-events:").split("x-events:")[0]
    result = load({"cases/2026/2026-0043.yaml": other})
    assert only(result) == [
        ("2026-0043.yaml", 4, 13, E, "duplicate invoice number 'F2026-0042' (also in case 2026-0042)")
    ]


def test_unknown_client(load):
    assert only(load(case(CASE.replace("client: acme", "client: acne")))) == [
        ("2026-0042.yaml", 2, 9, E, "unknown client 'acne' (did you mean 'acme'?)")
    ]


def test_client_with_errors_is_named(load):
    result = load({"clients/acme.yaml": "id: acme\n"})
    assert only(result, "2026-0042.yaml") == [
        ("2026-0042.yaml", 2, 9, E, "client 'acme' has errors in its file (see clients/)")
    ]


def test_unknown_policy(load):
    text = CASE.replace("client: acme\n", "client: acme\npolicy: gentle\n")
    assert only(load(case(text))) == [("2026-0042.yaml", 3, 9, E, "unknown policy 'gentle' (known: default)")]


def test_unknown_step(load):
    text = CASE.replace("step: reminder-1", "step: reminder-3")
    assert only(load(case(text))) == [
        (
            "2026-0042.yaml",
            9,
            46,
            E,
            "unknown step 'reminder-3' in policy 'default' (did you mean 'reminder-2'? steps: pre-due, reminder-1, "
            "reminder-2, call, letter, formal-notice, escalate)",
        )
    ]


def test_unknown_invoice_reference(load):
    text = CASE.replace('ref: "VIR SEPA 8812"', "invoice: F2026-0099")
    assert only(load(case(text))) == [
        ("2026-0042.yaml", 10, 61, E, "unknown invoice 'F2026-0099' in case 2026-0042 (known: F2026-0042)")
    ]


# --- dates and order -----------------------------------------------------------------------


def test_events_out_of_date_order(load):
    text = CASE.replace("date: 2026-10-16", "date: 2026-09-30")
    assert only(load(case(text))) == [
        (
            "2026-0042.yaml",
            10,
            12,
            E,
            "event dated 2026-09-30 comes after one dated 2026-10-02: events are appended in date order",
        )
    ]


def test_due_before_invoice_date(load):
    text = CASE.replace("due: 2026-10-01", "due: 2026-08-01")
    assert only(load(case(text))) == [
        ("2026-0042.yaml", 6, 10, E, "due date 2026-08-01 is before the invoice date 2026-09-01")
    ]


def test_event_after_today_is_a_warning(load):
    text = CASE + "  - {date: 2026-12-01, type: note, note: later}\n"
    assert only(load(case(text))) == [
        ("2026-0042.yaml", 11, 12, W, "event dated 2026-12-01 is after today (2026-11-23): it is ignored until then")
    ]


def test_promise_due_before_promise(load):
    text = CASE + "  - {date: 2026-10-20, type: promise, amount: 750, due: 2026-10-19}\n"
    assert only(load(case(text))) == [
        ("2026-0042.yaml", 11, 57, E, "promised date 2026-10-19 is before the promise itself (2026-10-20)")
    ]


# --- amounts -------------------------------------------------------------------------------


def test_plan_not_summing_to_balance_is_a_warning(load):
    text = CASE + (
        "  - date: 2026-10-20\n"
        "    type: plan\n"
        "    installments:\n"
        "      - {due: 2026-11-15, amount: 400}\n"
        "      - {due: 2026-12-15, amount: 300}\n"
    )
    assert only(load(case(text))) == [
        ("2026-0042.yaml", 14, 7, W, "installments total 700.00 but the balance on 2026-10-20 is 750.00")
    ]


def test_overpayment_is_a_warning(load):
    text = CASE + "  - {date: 2026-10-20, type: payment, amount: 800}\n"
    assert only(load(case(text))) == [
        (
            "2026-0042.yaml",
            11,
            47,
            W,
            "overpayment: payments and credit notes reach 1550.00, more than the 1500.00 invoiced",
        )
    ]


def test_credit_limit_exceeded_is_a_warning(load):
    result = load({"clients/acme.yaml": CLIENT_WITH_LIMIT})
    assert only(result) == [("acme.yaml", 3, 15, W, "exposure 750.00 is above the credit limit 500.00")]


CLIENT_WITH_LIMIT = "id: acme\nname: ACME\ncredit_limit: 500\n"


# --- legal lints ---------------------------------------------------------------------------


def test_business_term_over_60_days_is_a_warning(load):
    text = CASE.replace("due: 2026-10-01", "due: 2026-11-15")
    assert only(load(case(text))) == [
        (
            "2026-0042.yaml",
            6,
            10,
            W,
            "payment term of 75 days exceeds the 60-day maximum between businesses (Code de commerce L441-10)",
        )
    ]


def test_consumer_term_over_60_days_is_fine(load):
    text = CASE.replace("due: 2026-10-01", "due: 2026-11-15")
    result = load({**case(text), "clients/acme.yaml": "id: acme\nname: Jean Dupont\ntype: consumer\n"})
    assert only(result) == []


def test_fixed_rate_below_three_times_legal_rate(load):
    config = "creditor: {name: X, address: [Y]}\npenalties:\n  rate: 7%\n"
    assert only(load({"relancegit.yaml": config, "cases/2026/2026-0042.yaml": None}, today=date(2026, 3, 1))) == [
        (
            "relancegit.yaml",
            3,
            9,
            W,
            "penalty rate 7% is below three times the legal interest rate of 2026-H1 (3 × 2.62% = 7.86%): "
            "Code de commerce L441-10 II",
        )
    ]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("siren", '"552100555"', "invalid SIREN '552100555': the number's checksum or check digit is invalid"),
        (
            "iban",
            "FR7630006000011234567890188",
            "invalid IBAN 'FR7630006000011234567890188': the number's checksum or check digit is invalid",
        ),
    ],
)
def test_creditor_identifiers_are_validated(load, field: str, value: str, message: str):
    config = f"creditor:\n  name: X\n  address: [Y]\n  {field}: {value}\n"
    result = load({"relancegit.yaml": config, "cases/2026/2026-0042.yaml": None})
    assert only(result) == [("relancegit.yaml", 4, len(field) + 5, E, message)]


def test_client_vat_is_validated(load):
    result = load({"clients/acme.yaml": "id: acme\nname: ACME\nvat: FR00552100554\n"})
    assert only(result) == [("acme.yaml", 3, 6, E, "invalid VAT number 'FR00552100554'")]


def test_policy_rules(load):
    config = (
        "creditor: {name: X, address: [Y]}\n"
        "policies:\n"
        "  default:\n"
        "    on_broken_plan: mise-en-demeure\n"
        "    steps:\n"
        "      - {id: reminder-1, offset: 1, channel: email}\n"
        "      - {id: reminder-1, offset: 8, channel: email}\n"
        "      - {id: call, offset: 3, channel: phone}\n"
    )
    assert only(load({"relancegit.yaml": config, "cases/2026/2026-0042.yaml": None}), "relancegit.yaml") == [
        ("relancegit.yaml", 1, 1, E, "claim_from_step 'formal-notice' is not a step of any policy"),
        ("relancegit.yaml", 4, 21, E, "on_broken_plan 'mise-en-demeure' is not a step of policy 'default'"),
        ("relancegit.yaml", 7, 14, E, "duplicate step 'reminder-1' in policy 'default'"),
        ("relancegit.yaml", 8, 28, E, "step 'call' has offset 3, before the previous step's 8: steps must be in order"),
    ]


# --- what the other commands get -----------------------------------------------------------


def test_files_with_errors_are_left_out_and_the_rest_loaded(load):
    result = load({"cases/2026/2026-0043.yaml": "id: 2026-0043\nclient: acme\n"})
    assert list(result.ledger.cases) == ["2026-0042"]
    assert [p.name for p in result.left_out] == ["2026-0043.yaml"]
    assert result.counts == {"cases": 2, "clients": 1, "events": 2}
