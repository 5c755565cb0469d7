"""The text of the client and case files an import creates, as a person would write them:
the demo's key order, strings quoted only where YAML would read them otherwise, amounts as
`1234.50`, dates ISO. `write.py` parses every text back and validates it before writing.

Layer: values -> text; no files.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path

import yaml

from relancegit.importing.source import Buyer, CreditNote, Payment, SourceInvoice

_PLAIN = re.compile(r"^[\w\u00c0-\u024f(][\w\u00c0-\u024f .,'()/&°+@-]*$")
_PLAIN_IN_FLOW = re.compile(r"^[\w\u00c0-\u024f(][\w\u00c0-\u024f .'()/&°+@-]*$")


_IMPLICIT: dict[str | None, list[tuple[str, re.Pattern[str]]]] = yaml.resolver.Resolver.yaml_implicit_resolvers


def _read_as_text(value: str) -> bool:
    """YAML (as the ledger's loader resolves plain scalars) reads `value` back as a string."""
    return not any(regexp.match(value) for _, regexp in _IMPLICIT.get(value[:1], []) + _IMPLICIT.get(None, []))


def scalar(value: str, flow: bool = False) -> str:
    """`value` plain when YAML reads it back as the same string, else double-quoted."""
    pattern = _PLAIN_IN_FLOW if flow else _PLAIN
    if (
        pattern.match(value)
        and value == value.strip()
        and ": " not in value
        and " #" not in value
        and _read_as_text(value)
    ):
        return value
    return json.dumps(value, ensure_ascii=False)


def money(value: Decimal) -> str:
    return f"{value:.2f}"


def schema_comment(root: Path, file: Path, kind: str) -> str:
    """The editor's schema line of the demo files, when the ledger has its schemas folder."""
    depth = len(file.relative_to(root).parts) - 1
    return _schema_comment(root, kind, depth)


@functools.cache
def _schema_comment(root: Path, kind: str, depth: int) -> str:
    if not (root.parent / "schemas" / f"{kind}.schema.json").is_file():
        return ""
    return f"# yaml-language-server: $schema={'../' * (depth + 1)}schemas/{kind}.schema.json\n"


def client_text(client_id: str, buyer: Buyer, origin: str, header: str = "") -> str:
    lines = [header.rstrip("\n")] if header else []
    lines += [f"# Created by relancegit import from {origin}.", f"id: {client_id}", f"name: {scalar(buyer.name)}"]
    lines.append(f"type: {buyer.type or 'business'}")
    if buyer.address:
        lines.append("address:")
        lines += [f"  - {scalar(part)}" for part in buyer.address]
    if buyer.siren:
        lines.append(f"siren: {scalar(buyer.siren)}")
    if buyer.vat:
        lines.append(f"vat: {scalar(buyer.vat)}")
    if buyer.email:
        lines.append("contacts:")
        lines.append(f"  - {{name: {scalar(buyer.name, flow=True)}, email: {scalar(buyer.email, flow=True)}}}")
    return "\n".join(lines) + "\n"


def case_text(
    case_id: str,
    client_id: str,
    invoices: Sequence[SourceInvoice],
    origin: str,
    header: str = "",
    credit_notes: Sequence[CreditNote] = (),
) -> str:
    lines = [header.rstrip("\n")] if header else []
    lines += [f"# Imported by relancegit import from {origin}.", f"id: {case_id}", f"client: {client_id}", "invoices:"]
    events: list[tuple[date, str]] = []
    for invoice in invoices:
        lines.append(f"  - number: {scalar(invoice.number)}")
        lines.append(f"    date: {invoice.date.isoformat()}")
        lines.append(f"    due: {invoice.due.isoformat()}")
        lines.append(f"    amount: {money(invoice.amount)}")
        if invoice.net is not None:
            lines.append(f"    net: {money(invoice.net)}")
        events += [(p.date, _payment(invoice, p, len(invoices) > 1)) for p in invoice.payments]
    events += [(c.date, credit_note_event(c)) for c in credit_notes]
    if events:
        lines.append("events:")
        lines += [text for _, text in sorted(events, key=lambda e: e[0])]
    return "\n".join(lines) + "\n"


def _payment(invoice: SourceInvoice, payment: Payment, name_invoice: bool) -> str:
    parts = [f"date: {payment.date.isoformat()}", "type: payment", f"amount: {money(payment.amount)}"]
    if name_invoice:
        parts.append(f"invoice: {scalar(invoice.number, flow=True)}")
    if payment.ref:
        parts.append(f"ref: {scalar(payment.ref, flow=True)}")
    return "  - {" + ", ".join(parts) + "}"


def credit_note_event(note: CreditNote) -> str:
    parts = [f"date: {note.date.isoformat()}", "type: credit-note", f"amount: {money(note.amount)}"]
    if note.invoice:
        parts.append(f"invoice: {scalar(note.invoice, flow=True)}")
    parts.append(f"number: {scalar(note.number, flow=True)}")
    return "  - {" + ", ".join(parts) + "}"
