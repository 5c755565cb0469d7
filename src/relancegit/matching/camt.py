"""Read an ISO 20022 bank-to-customer statement, camt.053 (versions 001.02 to 001.08).

Layer: bytes -> `Statement`. The XML is parsed safely (`safexml.safe_parse`: a
DOCTYPE is refused, lxml parses with entities and network off). Read, for each booked
credit entry (`Ntry` with `CdtDbtInd` CRDT) and for each of its transactions (`TxDtls`,
several in a batched entry): booking date, amount and currency, the debtor's name and
IBAN, the remittance information (`Ustrd` text, `Strd` creditor reference and referred
document numbers), the end-to-end id and the bank's reference (`AcctSvcrRef`, else
`NtryRef`). A debit entry with `RvslInd` true, or carrying return information (`RtrInf`),
is the reversal or return of an earlier credit.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, NamedTuple

from lxml import etree

from relancegit.matching.statement import Entry, Statement
from relancegit.safexml import XmlRefused, safe_parse

_CENT = Decimal("0.01")
_LOCAL_NAMES: dict[str, str] = {}  # "{namespace}name" -> "name": a statement has few distinct tags
_MAX_LOCAL_NAMES = 4096
NAMESPACE = re.compile(r"^urn:iso:std:iso:20022:tech:xsd:camt\.053\.001\.0([2-8])$")
_ELEMENTS = etree.Element  # as a filter: elements only, no comment or processing instruction


def _local(node: Any) -> str:
    tag = node.tag
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


class _Entry:
    """One entry's elements in document order (`nodes`, the entry first), looked up by their
    path of local names (any namespace, as lxml's `{*}name`): the first in document order, as
    lxml's `find`. A lookup's answer, a position in `nodes`, depends only on the entry's shape
    (each element's tag and number of children, in document order), so it is kept by shape:
    the thousands of entries of a statement have a handful of shapes, and each is looked up
    some twenty times."""

    __slots__ = ("_at", "_children", "nodes", "plan")

    def __init__(self, entry: Any) -> None:
        nodes = list(entry.iter())
        self.nodes = nodes
        shape = tuple([(node.tag, len(node)) for node in nodes])
        known = _SHAPES.get(shape)
        if known is None:
            self._at: dict[tuple[int, tuple[str, ...]], int] = {}
            self._children: dict[tuple[int, str], tuple[int, ...]] = {}
            self.plan = _plan(self)
            if len(_SHAPES) < _MAX_SHAPES:
                _SHAPES[shape] = (self._at, self._children, self.plan)
        else:
            self._at, self._children, self.plan = known

    def at(self, position: int, path: tuple[str, ...]) -> int:
        """The position of the first element at `path` below the one at `position`; -1 when
        there is none (or `position` is -1)."""
        key = (position, path)
        found = self._at.get(key)
        if found is None:
            found = -1
            if position >= 0:
                rest = path[1:]
                for child in self.children(position, path[0]):
                    hit = self.at(child, rest) if rest else child
                    if hit >= 0:
                        found = hit
                        break
            self._at[key] = found
        return found

    def children(self, position: int, name: str) -> tuple[int, ...]:
        """The positions of the element children named `name` of the one at `position`."""
        key = (position, name)
        found = self._children.get(key)
        if found is None:
            found = ()
            if position >= 0:
                where = {id(node): k for k, node in enumerate(self.nodes)}
                found = tuple(
                    where[id(child)]
                    for child in self.nodes[position].iterchildren(_ELEMENTS)
                    if _local_name(child.tag) == name
                )
            self._children[key] = found
        return found

    def text(self, position: int, path: tuple[str, ...] = ()) -> str:
        """The text of the first element at `path` below `position`, white space collapsed;
        "" when there is none."""
        if path:
            position = self.at(position, path)
        if position < 0:
            return ""
        text = self.nodes[position].text
        return " ".join(text.split()) if text else ""

    def line(self, position: int) -> int:
        return int(self.nodes[position].sourceline or 1)


# By entry shape: its lookups ({(position, path): position}, {(position, name): positions})
# and its plan.
_SHAPES: dict[
    tuple[tuple[Any, int], ...],
    tuple[dict[tuple[int, tuple[str, ...]], int], dict[tuple[int, str], tuple[int, ...]], _Plan],
] = {}
_MAX_SHAPES = 1024


class _Tx(NamedTuple):
    """Where a transaction's fields are in the entry (`_Entry` positions; -1: absent)."""

    position: int
    returned: int  # RtrInf
    batched_amount: int  # AmtDtls/TxAmt/Amt
    amount: int  # Amt (001.08)
    ref: int  # Refs/AcctSvcrRef
    name: int  # RltdPties/Dbtr/Nm
    party_name: int  # RltdPties/Dbtr/Pty/Nm (001.08)
    iban: int  # RltdPties/DbtrAcct/Id/IBAN
    # RmtInf: Ustrd, then each Strd's (RfrdDocInf/Nb, CdtrRefInf/Ref, AddtlRmtInf) in order
    remittance: tuple[int, ...]
    end_to_end: int  # Refs/EndToEndId
    reason: int  # RtrInf/Rsn/Cd
    other_reason: int  # RtrInf/Rsn/Prtry


class _Plan(NamedTuple):
    """Where an entry's fields are, for every entry of its shape: found once with the
    lookups of `_Entry`, read for each entry by position."""

    status_code: int  # Sts/Cd (001.08)
    status: int  # Sts
    direction: int  # CdtDbtInd
    reversal: int  # RvslInd
    amount: int  # Amt
    booked: int  # BookgDt/Dt
    booked_time: int  # BookgDt/DtTm
    booking: int  # BookgDt
    ref: int  # AcctSvcrRef
    entry_ref: int  # NtryRef
    transactions: tuple[_Tx, ...]  # NtryDtls/TxDtls, each


def _plan(entry: _Entry) -> _Plan:
    at, children = entry.at, entry.children
    transactions = []
    for tx in (t for d in children(0, "NtryDtls") for t in children(d, "TxDtls")):
        parties = at(tx, ("RltdPties",))
        remittance = at(tx, ("RmtInf",))
        parts = list(children(remittance, "Ustrd"))
        for structured in children(remittance, "Strd"):
            parts += [at(d, ("Nb",)) for d in children(structured, "RfrdDocInf")]
            parts.append(at(structured, ("CdtrRefInf", "Ref")))
            parts += children(structured, "AddtlRmtInf")
        transactions.append(
            _Tx(
                tx,
                at(tx, ("RtrInf",)),
                at(tx, ("AmtDtls", "TxAmt", "Amt")),
                at(tx, ("Amt",)),
                at(tx, ("Refs", "AcctSvcrRef")),
                at(parties, ("Dbtr", "Nm")),
                at(parties, ("Dbtr", "Pty", "Nm")),
                at(parties, ("DbtrAcct", "Id", "IBAN")),
                tuple(parts),
                at(tx, ("Refs", "EndToEndId")),
                at(tx, ("RtrInf", "Rsn", "Cd")),
                at(tx, ("RtrInf", "Rsn", "Prtry")),
            )
        )
    return _Plan(
        at(0, ("Sts", "Cd")),
        at(0, ("Sts",)),
        at(0, ("CdtDbtInd",)),
        at(0, ("RvslInd",)),
        at(0, ("Amt",)),
        at(0, ("BookgDt", "Dt")),
        at(0, ("BookgDt", "DtTm")),
        at(0, ("BookgDt",)),
        at(0, ("AcctSvcrRef",)),
        at(0, ("NtryRef",)),
        tuple(transactions),
    )


def _local_name(tag: str) -> str:
    name = _LOCAL_NAMES.get(tag)
    if name is None:
        name = tag.rsplit("}", 1)[-1]
        if len(_LOCAL_NAMES) < _MAX_LOCAL_NAMES:
            _LOCAL_NAMES[tag] = name
    return name


def read_camt(path: Path, raw: bytes) -> Statement:
    statement = Statement(path, "camt053")
    for part in iter_camt(statement, raw):
        statement.entries += part
    return statement


def iter_camt(statement: Statement, raw: bytes, size: int = 256) -> Iterator[list[Entry]]:
    """The entries of a camt.053 file, `size` at a time as they are read (`relancegit match`
    works on the first while the next are read); its problems are added to `statement`."""
    try:
        root = safe_parse(raw)
    except XmlRefused as exc:
        statement.error(
            exc.line, exc.column, exc.message.replace("an e-invoice has no DOCTYPE", "a bank statement has none")
        )
        return
    namespace = root.tag[1:].split("}", 1)[0] if root.tag.startswith("{") else ""
    if _local(root) != "Document" or not NAMESPACE.match(namespace):
        statement.error(
            int(root.sourceline or 1),
            1,
            f"not a camt.053 statement (001.02 to 001.08): root {_local(root)} in '{namespace}'",
        )
        return
    # Above the entries, lxml's own lookups (a few); each entry is read through an `_Entry`.
    message = root.find("{*}BkToCstmrStmt")
    part: list[Entry] = []
    for stmt in message.iterfind("{*}Stmt") if message is not None else []:
        currency = stmt.find("{*}Acct/{*}Ccy")
        text = currency.text if currency is not None else None
        for entry in stmt.iterfind("{*}Ntry"):
            _read_entry(statement, _Entry(entry), text.strip() if text else "", part)
            if len(part) >= size:
                yield part
                part = []
    if part:
        yield part


def _read_entry(statement: Statement, entry: _Entry, account_currency: str, out: list[Entry]) -> None:
    """Add the entry's credits (or its reversal) to `out`, its problems to `statement`."""
    nodes, plan = entry.nodes, entry.plan

    def text(position: int) -> str:  # white space collapsed; "" when absent
        if position < 0:
            return ""
        found = nodes[position].text
        return " ".join(found.split()) if found else ""

    status = text(plan.status_code) or text(plan.status)  # 001.08: Sts/Cd; before: Sts
    if status and status != "BOOK":
        return  # pending or informational: not money on the account yet
    credit = text(plan.direction) == "CRDT"
    reversal = text(plan.reversal).lower() in ("true", "1")
    details = plan.transactions
    returned = any(t.returned >= 0 for t in details)
    if not credit and not (reversal or returned):
        return  # an ordinary debit: not a payment received
    if credit and reversal:
        return  # the reversal of a debit: not a client's payment
    amount, currency = _amount(statement, entry, plan.amount, 0)
    booked = _booking_date(statement, entry, text(plan.booked) or text(plan.booked_time)[:10])
    if amount is None or booked is None:
        return
    ref = text(plan.ref) or text(plan.entry_ref)
    if not ref:
        statement.error(entry.line(0), 1, "entry without a bank reference (AcctSvcrRef or NtryRef)")
        return
    currency = currency or account_currency
    if not details:
        out.append(Entry(statement.file, entry.line(0), booked, amount, currency, ref, reversal=not credit))
        return
    for number, tx in enumerate(details, start=1):
        tx_amount: Decimal | None = amount
        if len(details) > 1:
            tx_amount, tx_currency = _amount(statement, entry, tx.batched_amount, tx.position, batched=True)
            if tx_amount is None:
                tx_amount, tx_currency = _amount(statement, entry, tx.amount, tx.position)  # 001.08: TxDtls/Amt
            if tx_amount is None:
                statement.error(
                    entry.line(tx.position), 1, "batched entry: a transaction without its amount (AmtDtls/TxAmt/Amt)"
                )
                continue
            currency = tx_currency or currency
        assert tx_amount is not None
        tx_ref = text(tx.ref)
        own_ref = tx_ref if len(details) > 1 and tx_ref else ref if len(details) == 1 else f"{ref}/{number}"
        # A credit's counterparty is the debtor; a returned credit names it as debtor too.
        end_to_end = text(tx.end_to_end)
        out.append(
            Entry(
                statement.file,
                entry.line(tx.position),
                booked,
                tx_amount,
                currency,
                own_ref,
                counterparty=text(tx.name) or text(tx.party_name),  # 001.08: Dbtr/Pty/Nm
                iban=text(tx.iban).replace(" ", ""),
                remittance=" ".join(p for p in map(text, tx.remittance) if p),
                end_to_end=end_to_end if end_to_end != "NOTPROVIDED" else "",
                reversal=not credit,
                return_reason=text(tx.reason) or text(tx.other_reason),
                original_ref=tx_ref if not credit else "",
            )
        )


def _amount(
    statement: Statement, entry: _Entry, found: int, within: int, batched: bool = False
) -> tuple[Decimal | None, str]:
    """The amount at position `found` (-1: none) in the element at `within`, and its currency;
    a missing `Amt` is an error unless it is a batched transaction's `AmtDtls/TxAmt/Amt`."""
    if found < 0:
        if not batched:
            statement.error(entry.line(within), 1, "entry without an amount (Amt)")
        return None, ""
    node = entry.nodes[found]
    text = node.text
    try:
        value = Decimal((text or "").strip())
    except InvalidOperation:
        statement.error(entry.line(found), 1, f"amount '{text}' is not a number")
        return None, ""
    if value <= 0 or value != value.quantize(_CENT):
        statement.error(entry.line(found), 1, f"amount '{text}' must be positive with at most 2 decimals")
        return None, ""
    return value, str(node.get("Ccy") or "")


def _booking_date(statement: Statement, entry: _Entry, text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        found = entry.plan.booking
        statement.error(entry.line(found if found >= 0 else 0), 1, f"booking date '{text}' is not a date")
        return None
