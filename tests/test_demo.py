"""The bundled demo ledger: valid, varied, and alive whatever the date (demo_anchor)."""

from __future__ import annotations

from datetime import date, timedelta

from conftest import DEMO, DEMO_TODAY
from stdnum import iban
from stdnum.fr import siren

from relancegit.model import EVENT_TYPES
from relancegit.read.load import demo_shift, load_ledger


def test_demo_checks_with_only_the_intended_warnings():
    result = load_ledger(DEMO, DEMO_TODAY)
    assert result.errors == []
    assert sorted(p.message for p in result.warnings) == [
        "exposure 23688.00 is above the credit limit 15000.00",
        # 24 = 23 business cases with a balance past due on some day after 2026-06-30 (counted
        # from the YAML by a separate script) + 2026-0225, a consumer under formal notice since
        # 2026-11-16, whose legal-rate interest needs the 2026-H2 row too.
        "no rates known for 2026-H2, needed for the penalty interest of 24 cases: add a row "
        "`{period: 2026-H2, ecb: …, legal_other: …}` under `rates:` in relancegit.yaml (ECB main "
        "refinancing rate and legal rate; `relancegit rates` prints the lines to add, docs/legal-fr.md "
        "the sources); interest stays unknown until then",
        "payment term of 75 days exceeds the 60-day maximum between businesses (Code de commerce L441-10)",
    ]
    assert result.counts["cases"] >= 40 and result.counts["clients"] >= 15


def test_demo_covers_every_event_type_and_client_kind():
    ledger = load_ledger(DEMO, DEMO_TODAY).ledger
    used = {event.type for case in ledger.cases.values() for event in case.events}
    assert used == set(EVENT_TYPES)
    clients = ledger.clients.values()
    assert {c.relationship for c in clients} == {"loyal", "standard", "difficult"}
    assert sum(c.type == "consumer" for c in clients) >= 2
    assert any(c.credit_limit for c in clients)
    assert sum(len(case.invoices) > 1 for case in ledger.cases.values()) >= 5
    assert any(path.parent.name != "2026" for path in ledger.case_files.values())


def test_demo_identifiers_pass_their_checksums():
    config = load_ledger(DEMO, DEMO_TODAY).ledger.config
    assert siren.is_valid(config.creditor.siren) and iban.is_valid(config.creditor.iban)
    for client in load_ledger(DEMO, DEMO_TODAY).ledger.clients.values():
        assert client.siren is None or siren.is_valid(client.siren), client.id


def test_demo_dates_move_forward_by_whole_weeks():
    later = DEMO_TODAY + timedelta(days=100)  # 14 weeks and 2 days
    shifted = load_ledger(DEMO, later)
    as_written = load_ledger(DEMO, DEMO_TODAY)
    assert shifted.errors == []

    def lints(result):  # unknown rates differ legitimately: the shifted demo reaches 2027
        return sorted(p.message for p in result.warnings if not p.message.startswith("no rates known"))

    assert lints(shifted) == lints(as_written)
    for case_id, case in as_written.ledger.cases.items():
        moved = shifted.ledger.cases[case_id]
        for before, after in zip(case.invoices, moved.invoices, strict=True):
            assert after.due - before.due == timedelta(days=98)
            assert after.due.weekday() == before.due.weekday()
        for before, after in zip(case.events, moved.events, strict=True):
            assert after.date - before.date == timedelta(days=98)
            dates = {"date", "due", "until", "installments", "received"}
            assert after.model_dump(exclude=dates) == before.model_dump(exclude=dates)
            if getattr(before, "received", None) is not None:
                assert after.received - before.received == timedelta(days=98)


def test_demo_is_read_as_written_up_to_its_anchor():
    config = load_ledger(DEMO, DEMO_TODAY).ledger.config
    assert config.demo_anchor == date(2026, 11, 23)
    assert demo_shift(config, date(2026, 6, 1)) == 0
    assert demo_shift(config, DEMO_TODAY) == 0
    assert demo_shift(config, DEMO_TODAY + timedelta(days=6)) == 0
    assert demo_shift(config, DEMO_TODAY + timedelta(days=7)) == 7


def test_a_ledger_without_anchor_is_never_shifted(load):
    result = load(today=date(2030, 1, 1))
    assert result.ledger.cases["2026-0042"].invoices[0].due == date(2026, 10, 1)


def test_recording_into_a_living_demo_keeps_its_calendar(tmp_path):
    """Two weeks after the anchor, an event recorded "today" reads as today once loaded."""
    import shutil

    from relancegit.write.record import record

    root = tmp_path / "ledger"
    shutil.copytree(DEMO, root)
    today = DEMO_TODAY + timedelta(days=15)  # the demo is shown 14 days later
    record(root, "2026-0256", "promise", ["amount=1728", f"due={today + timedelta(days=10)}"], today)
    text = (root / "cases/2026/2026-0256.yaml").read_text()
    assert f"date: {today - timedelta(days=14)}" in text  # written as of the anchor
    case = load_ledger(root, today).ledger.cases["2026-0256"]
    promise = case.events[-1]
    assert (promise.date, promise.due) == (today, today + timedelta(days=10))
