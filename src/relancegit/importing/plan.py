"""What an import would do to the ledger: the clients and cases to create, the invoices
already there (skipped), those there with another amount (conflicts), the credit notes that
cannot be written as part of a new case.

Layer: sources + the ledger's parsed files -> `Plan`, with the text of each new file. Pure
but for reading the ledger's files (`index_ledger`); nothing is written here.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from relancegit.importing import yamltext
from relancegit.importing.source import Buyer, CreditNote, Source, SourceInvoice
from relancegit.model import ImportSettings
from relancegit.problems import Problem
from relancegit.read.load import read_ledger


@dataclass(frozen=True)
class KnownClient:
    id: str
    name: str
    siren: str | None
    vat: str | None


@dataclass
class LedgerIndex:
    """What matching needs of the ledger: invoice numbers, ids, clients' identifiers."""

    invoices: dict[str, tuple[str, Decimal | None]] = field(default_factory=dict)  # number -> (case, amount)
    credit_notes: set[str] = field(default_factory=set)
    case_ids: set[str] = field(default_factory=set)
    clients: list[KnownClient] = field(default_factory=list)


def index_ledger(root: Path) -> LedgerIndex:
    """The ledger's invoice numbers, case ids and clients, from its parsed files (files with
    errors count for what they hold: a number written there is taken)."""
    index = LedgerIndex()
    clients_dir = str(root / "clients")
    for path, parsed in read_ledger(root).items():
        stem = Path(path).stem
        data = parsed[1] if parsed and parsed[0] == "data" else None
        if path.startswith(clients_dir + "/"):
            if isinstance(data, dict):
                index.clients.append(
                    KnownClient(stem, str(data.get("name") or ""), _text(data.get("siren")), _text(data.get("vat")))
                )
            else:
                index.clients.append(KnownClient(stem, "", None, None))
            continue
        if Path(path).name == "relancegit.yaml" and Path(path).parent == root:
            continue
        index.case_ids.add(stem)
        if not isinstance(data, dict):
            continue
        for invoice in data.get("invoices") or ():
            if isinstance(invoice, dict) and invoice.get("number") is not None:
                index.invoices[str(invoice["number"])] = (stem, _decimal(invoice.get("amount")))
        for event in data.get("events") or ():
            if isinstance(event, dict) and event.get("type") == "credit-note" and event.get("number") is not None:
                index.credit_notes.add(str(event["number"]))
    return index


def _text(value: Any) -> str | None:
    return None if value is None else str(value).replace(" ", "")


def _decimal(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value))
    except ArithmeticError:
        return None


@dataclass
class NewClient:
    id: str
    buyer: Buyer
    path: Path
    first: SourceInvoice  # where the client was first met, to locate its problems
    text: str = ""


@dataclass
class NewCase:
    id: str
    client: str
    invoices: list[SourceInvoice]
    path: Path
    credit_notes: list[CreditNote] = field(default_factory=list)
    text: str = ""


@dataclass(frozen=True)
class Skipped:
    invoice: SourceInvoice
    case: str


@dataclass(frozen=True)
class Conflict:
    invoice: SourceInvoice
    case: str
    ledger_amount: Decimal | None


@dataclass(frozen=True)
class LeftCreditNote:
    note: CreditNote
    reason: str


@dataclass
class Plan:
    clients: list[NewClient] = field(default_factory=list)
    cases: list[NewCase] = field(default_factory=list)
    matched: dict[str, str] = field(default_factory=dict)  # invoice number -> existing client id
    skipped: list[Skipped] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    credit_notes: list[LeftCreditNote] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


# Legal forms left out of a client's id, as people name their clients (`acme-industrie`).
_LEGAL_FORM = re.compile(r"(^|-)(sas|sasu|sarl|eurl|sa|sci|snc|scop|selarl|ei|eirl|gmbh|ltd|inc)(?=-|$)")


def slug(text: str, fallback: str, legal_form: bool = False) -> str:
    """A readable id: `Société Générale d'Études SAS` -> `societe-generale-d-etudes`."""
    value = unicodedata.normalize("NFKD", text.lower().replace("œ", "oe").replace("æ", "ae"))
    value = "".join(c for c in value if not unicodedata.combining(c))
    value = re.sub(r"[^a-z0-9]+", "-", value).strip("-")
    if legal_form:
        value = _LEGAL_FORM.sub("", value).strip("-") or value
    return value[:48].rstrip("-") or fallback


def _unique(base: str, taken: set[str]) -> str:
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}-{n}", n + 1
    taken.add(candidate)
    return candidate


def _name_key(name: str) -> str:
    return " ".join(name.casefold().split())


class _Clients:
    """Clients by SIREN, then VAT number, then exact name: the ledger's and the new ones."""

    def __init__(self, known: Iterable[KnownClient]) -> None:
        self.by_siren: dict[str, str] = {}
        self.by_vat: dict[str, str] = {}
        self.by_name: dict[str, str] = {}
        self.ids: set[str] = set()
        for client in known:
            self.add(client.id, client.name, client.siren, client.vat)

    def add(self, client_id: str, name: str, siren: str | None, vat: str | None) -> None:
        self.ids.add(client_id)
        if siren:
            self.by_siren.setdefault(siren, client_id)
        if vat:
            self.by_vat.setdefault(vat.upper(), client_id)
        if name:
            self.by_name.setdefault(_name_key(name), client_id)

    def find(self, buyer: Buyer) -> str | None:
        return (
            (self.by_siren.get(buyer.siren) if buyer.siren else None)
            or (self.by_vat.get(buyer.vat.upper()) if buyer.vat else None)
            or self.by_name.get(_name_key(buyer.name))
        )


def make_plan(root: Path, sources: Sequence[Source], index: LedgerIndex, settings: ImportSettings) -> Plan:
    plan = Plan()
    clients = _Clients(index.clients)
    new_clients: dict[str, NewClient] = {}
    case_ids = set(index.case_ids)
    seen: dict[str, SourceInvoice] = {}
    cases: dict[str, NewCase] = {}  # by invoice number, or by client when grouped
    for source in sources:
        for invoice in source.invoices:
            earlier = seen.get(invoice.number)
            if earlier is not None:
                where = f"{earlier.file.name}:{earlier.line}"
                plan.problems.append(
                    Problem(
                        invoice.file,
                        f"invoice {invoice.number} is also at {where}",
                        line=invoice.line,
                        column=invoice.column,
                    )
                )
                continue
            seen[invoice.number] = invoice
            found = index.invoices.get(invoice.number)
            if found is not None:
                case_id, amount = found
                if amount is not None and amount == invoice.amount:
                    plan.skipped.append(Skipped(invoice, case_id))
                else:
                    plan.conflicts.append(Conflict(invoice, case_id, amount))
                continue
            client_id = clients.find(invoice.buyer)
            if client_id is None:
                client_id = _unique(slug(invoice.buyer.name, "client", legal_form=True), clients.ids)
                clients.add(client_id, invoice.buyer.name, invoice.buyer.siren, invoice.buyer.vat)
                new_clients[client_id] = NewClient(
                    client_id, invoice.buyer, root / "clients" / f"{client_id}.yaml", invoice
                )
            elif client_id not in new_clients:
                plan.matched[invoice.number] = client_id
            key = f"client:{client_id}" if settings.group_by_client else invoice.number
            case = cases.get(key)
            if case is None:
                base = slug(f"{client_id}-{invoice.date.year}" if settings.group_by_client else invoice.number, "case")
                case_id = _unique(base, case_ids)
                path = root / "cases" / str(invoice.date.year) / f"{case_id}.yaml"
                case = cases[key] = NewCase(case_id, client_id, [], path)
            case.invoices.append(invoice)
    by_number = {i.number: case for case in cases.values() for i in case.invoices}
    for source in sources:
        for note in source.credit_notes:
            _place_credit_note(plan, note, by_number, index)
    plan.clients = list(new_clients.values())
    plan.cases = list(cases.values())
    return plan


def _place_credit_note(plan: Plan, note: CreditNote, by_number: dict[str, NewCase], index: LedgerIndex) -> None:
    if note.number in index.credit_notes:
        return  # recorded already: importing again changes nothing
    case = by_number.get(note.invoice or "")
    if case is not None:
        case.credit_notes.append(note)
        return
    known = index.invoices.get(note.invoice or "")
    if known is not None:
        command = (
            f"relancegit record {known[0]} credit-note amount={note.amount:.2f} number={note.number} "
            f"invoice={note.invoice} --date {note.date.isoformat()}"
        )
        plan.credit_notes.append(LeftCreditNote(note, f"its invoice is in case {known[0]}: {command}"))
    elif note.invoice:
        plan.credit_notes.append(
            LeftCreditNote(note, f"its invoice {note.invoice} is neither in the ledger nor imported")
        )
    else:
        plan.credit_notes.append(LeftCreditNote(note, "it names no invoice: record it on the right case"))


def render(root: Path, plan: Plan, origin: dict[Path, str]) -> None:
    """Fill in the text of each new file."""
    for client in plan.clients:
        header = yamltext.schema_comment(root, client.path, "client")
        client.text = yamltext.client_text(client.id, client.buyer, origin[client.first.file], header)
    for case in plan.cases:
        header = yamltext.schema_comment(root, case.path, "case")
        where = ", ".join(sorted({origin[i.file] for i in case.invoices}))
        case.text = yamltext.case_text(case.id, case.client, case.invoices, where, header, case.credit_notes)
