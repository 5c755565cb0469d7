"""Inline ledgers for the engine tests: a case written as a dict, computed as of a date."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from relancegit.engine.state import CaseState, compute_case
from relancegit.model import Case, Client, Config, Ledger

CREDITOR = {"name": "Atelier Martin SARL", "address": ["12 rue des Lilas", "69003 Lyon"]}


def d(text: str) -> date:
    return date.fromisoformat(text)


def ledger_of(
    cases: list[dict[str, Any]],
    clients: list[dict[str, Any]] | None = None,
    config: dict[str, Any] | None = None,
) -> Ledger:
    conf = Config.model_validate({"creditor": CREDITOR, **(config or {})})
    client_list = clients or [{"id": "acme", "name": "ACME Industrie"}]
    client_models = {c["id"]: Client.model_validate(c) for c in client_list}
    case_models = {c["id"]: Case.model_validate(c) for c in cases}
    return Ledger(root=Path("."), config=conf, clients=client_models, cases=case_models)


def make_case(
    events: list[dict[str, Any]] | None = None,
    invoices: list[dict[str, Any]] | None = None,
    case_id: str = "c1",
    client: str = "acme",
    **extra: Any,
) -> dict[str, Any]:
    return {
        "id": case_id,
        "client": client,
        "invoices": invoices or [{"number": "F1", "date": "2026-09-01", "due": "2026-10-01", "amount": "1500.00"}],
        "events": events or [],
        **extra,
    }


def state_of(
    today: str,
    events: list[dict[str, Any]] | None = None,
    invoices: list[dict[str, Any]] | None = None,
    clients: list[dict[str, Any]] | None = None,
    config: dict[str, Any] | None = None,
    **case_extra: Any,
) -> CaseState:
    """Compute the state of one inline case (id `c1`, client `acme`) as of `today`."""
    case = make_case(events, invoices, **case_extra)
    ledger = ledger_of([case], clients, config)
    return compute_case(ledger, ledger.cases["c1"], d(today))
