"""Messages that help a new user (issue 18): "did you mean" for closed sets, keys at the wrong
level, decimal commas and French dates, each with its exact position."""

from __future__ import annotations

from conftest import CASE, CLIENT, positions

E = "error"


def only(result, name: str | None = None):
    return [p for p in positions(result) if name is None or p[0] == name]


def case(text: str) -> dict[str, str]:
    return {"cases/2026/2026-0042.yaml": text}


def col(line: str, needle: str) -> int:
    """The 1-based column of `needle` in `line`."""
    return line.index(needle) + 1


def event(line: str) -> dict[str, str]:
    """The usual case with its last event replaced by `line`."""
    lines = CASE.splitlines()
    return case("\n".join([*lines[:-1], line]) + "\n")


# --- closed sets ---------------------------------------------------------------------------


def test_misspelt_event_type(load):
    line = "  - {date: 2026-10-16, type: payement, amount: 750}"
    result = load(event(line))
    assert only(result) == [
        ("2026-0042.yaml", 10, col(line, "payement"), E, "unknown event type 'payement' (did you mean 'payment'?)")
    ]


def test_french_event_types(load):
    for word, meant in [
        ("paiement", "payment"),
        ("relance", "reminder"),
        ("échéancier", "plan"),
        ("avoir", "credit-note"),
    ]:
        line = f"  - {{date: 2026-10-16, type: {word}, amount: 750}}"
        result = load(event(line))
        assert only(result) == [
            ("2026-0042.yaml", 10, col(line, word), E, f"unknown event type '{word}' (did you mean '{meant}'?)")
        ], word


def test_french_channels(load):
    expected = "'email', 'sms', 'phone', 'letter', 'registered-letter' or 'handover'"
    for word, meant in [
        ("courrier", "letter"),
        ("recommandé", "registered-letter"),
        ("lrar", "registered-letter"),
        ("courriel", "email"),
        ("mail", "email"),
        ("téléphone", "phone"),
    ]:
        line = f"  - {{date: 2026-10-02, type: reminder, step: reminder-1, channel: {word}}}"
        result = load(event(line))
        assert only(result) == [
            (
                "2026-0042.yaml",
                10,
                col(line, word),
                E,
                f"invalid channel '{word}': expected {expected} (did you mean '{meant}'?)",
            )
        ], word


def test_mistyped_client_id(load):
    text = CASE.replace("client: acme", "client: hotel-belcour")
    result = load({"clients/hotel-bellecour.yaml": "id: hotel-bellecour\nname: Hôtel Bellecour\n", **case(text)})
    assert only(result) == [
        ("2026-0042.yaml", 2, 9, E, "unknown client 'hotel-belcour' (did you mean 'hotel-bellecour'?)")
    ]


def test_mistyped_step(load):
    line = "  - {date: 2026-10-16, type: reminder, step: reminder1, channel: email}"
    steps = "pre-due, reminder-1, reminder-2, call, letter, formal-notice, escalate"
    assert only(load(event(line))) == [
        (
            "2026-0042.yaml",
            10,
            col(line, "reminder1"),
            E,
            f"unknown step 'reminder1' in policy 'default' (did you mean 'reminder-1'? steps: {steps})",
        )
    ]


def test_mistyped_policy(load):
    result = load({"clients/acme.yaml": CLIENT + "policy: defualt\n"})
    assert only(result) == [("acme.yaml", 3, 9, E, "unknown policy 'defualt' (did you mean 'default'?)")]


# --- keys at the wrong level ---------------------------------------------------------------


def test_contact_key_at_the_top_of_a_client(load):
    result = load({"clients/acme.yaml": CLIENT + "email: compta@acme.example\n"})
    assert only(result, "acme.yaml") == [
        ("acme.yaml", 3, 1, E, "'email' belongs under 'contacts:', not at the top of the file")
    ]


def test_invoice_key_at_the_top_of_a_case(load):
    result = load(case(CASE.replace("client: acme\n", "client: acme\namount: 1500.00\n")))
    assert only(result) == [
        ("2026-0042.yaml", 3, 1, E, "'amount' belongs under 'invoices:', not at the top of the file")
    ]


def test_creditor_key_at_the_top_of_the_config(load):
    config = 'creditor:\n  name: Atelier\n  address: ["1 rue A"]\niban: FR7630006000011234567890189\n'
    result = load({"relancegit.yaml": config})
    assert [p for p in only(result, "relancegit.yaml") if p[3] == E] == [
        ("relancegit.yaml", 4, 1, E, "'iban' belongs under 'creditor:', not at the top of the file")
    ]


# --- decimal commas and French dates -------------------------------------------------------


def test_decimal_comma_in_a_flow_mapping(load):
    line = "  - {date: 2026-10-16, type: payment, amount: 750,50}"
    result = load(event(line))
    assert only(result) == [("2026-0042.yaml", 10, col(line, ",50"), E, "decimal comma: write 750.50")]


def test_decimal_comma_hides_no_other_problem_of_its_mapping(load):
    line = "  - {date: 2026-10-16, type: paiement, amount: 750,50}"
    assert only(load(event(line))) == [
        ("2026-0042.yaml", 10, col(line, "paiement"), E, "unknown event type 'paiement' (did you mean 'payment'?)"),
        ("2026-0042.yaml", 10, col(line, ",50"), E, "decimal comma: write 750.50"),
    ]


def test_decimal_comma_with_grouped_thousands_in_a_flow_mapping(load):
    line = "  - {date: 2026-10-16, type: payment, amount: 1 500,50, ref: VIR}"
    result = load(event(line))
    assert only(result) == [("2026-0042.yaml", 10, col(line, ",50"), E, "decimal comma: write 1500.50")]


def test_decimal_comma_in_a_block_mapping(load):
    result = load(case(CASE.replace("amount: 1500.00", "amount: 1500,00")))
    assert only(result) == [("2026-0042.yaml", 7, 13, E, "decimal comma: write 1500.00")]


def test_french_date(load):
    result = load(event("  - {date: 16/10/2026, type: payment, amount: 750}"))
    assert only(result) == [("2026-0042.yaml", 10, 12, E, "write dates as YYYY-MM-DD: 2026-10-16")]
    result = load(case(CASE.replace("due: 2026-10-01", "due: 1/10/2026")))
    assert only(result) == [("2026-0042.yaml", 6, 10, E, "write dates as YYYY-MM-DD: 2026-10-01")]
