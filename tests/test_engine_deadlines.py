"""Deadlines (SPEC §4.6): prescription with interruption, escalation threshold, formal notice."""

from __future__ import annotations

from engine_helpers import d, state_of

CONSUMER = [{"id": "acme", "name": "Mme Martin", "type": "consumer"}]


def test_prescription_five_years_from_the_due_date_for_a_business() -> None:
    s = state_of("2026-11-23")
    assert s.deadlines.prescription == d("2031-10-01")  # L110-4
    assert s.deadlines.escalation == d("2026-12-30")  # 10-01 + 90


def test_prescription_two_years_for_a_consumer() -> None:
    # L218-2 runs from the service, which may precede the due date: counted from the invoice date.
    assert state_of("2026-11-23", clients=CONSUMER).deadlines.prescription == d("2028-09-01")


def test_prescription_restarts_from_a_partial_payment() -> None:
    s = state_of("2026-11-23", [{"date": "2026-11-05", "type": "payment", "amount": 100}])
    assert s.deadlines.prescription == d("2031-11-05")  # Code civil 2240


def test_signed_plan_and_acknowledgement_restart_it_but_not_a_formal_notice() -> None:
    plan = {"date": "2026-10-20", "type": "plan", "installments": [{"due": "2026-12-01", "amount": 1500}]}
    assert state_of("2026-11-23", [plan]).deadlines.prescription == d("2031-10-01")  # unsigned
    assert state_of("2026-11-23", [{**plan, "signed": True}]).deadlines.prescription == d("2031-10-20")
    ack = [{"date": "2026-11-02", "type": "acknowledgement"}]
    assert state_of("2026-11-23", ack).deadlines.prescription == d("2031-11-02")
    notice = [{"date": "2026-11-16", "type": "reminder", "step": "formal-notice"}]
    # Cass. com. 18 May 2022: a formal notice does not interrupt prescription.
    assert state_of("2026-11-23", notice).deadlines.prescription == d("2031-10-01")


def test_prescription_is_never_moved_to_a_business_day() -> None:
    invoices = [{"number": "F1", "date": "2026-09-04", "due": "2026-10-04", "amount": "100.00"}]
    # 2031-10-04 is a Saturday: it stays.
    assert state_of("2026-11-23", invoices=invoices).deadlines.prescription == d("2031-10-04")


def test_formal_notice_deadline_moves_to_a_business_day() -> None:
    notice = [{"date": "2026-11-06", "type": "reminder", "step": "formal-notice"}]
    # 11-06 + 8 days = Sat 11-14 -> Mon 11-16.
    assert state_of("2026-11-23", notice).deadlines.formal_notice == d("2026-11-16")
    notice = [{"date": "2026-11-09", "type": "reminder", "step": "formal-notice"}]
    assert state_of("2026-11-23", notice).deadlines.formal_notice == d("2026-11-17")


def test_a_paid_case_has_no_deadlines() -> None:
    s = state_of("2026-11-23", [{"date": "2026-10-20", "type": "payment", "amount": 1500}])
    assert (s.deadlines.prescription, s.deadlines.escalation, s.deadlines.formal_notice) == (None, None, None)
