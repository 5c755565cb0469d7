"""Read an ISO 20022 bank-to-customer statement, camt.053 (versions 001.02 to 001.08).

Layer: bytes -> `Statement`. The XML is parsed safely (`importing.einvoice.safe_parse`: a
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
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from lxml import etree

from relancegit.importing.einvoice import XmlRefused, safe_parse
from relancegit.matching.statement import Entry, Statement

_CENT = Decimal("0.01")
_LOCAL_NAMES: dict[str, str] = {}  # "{namespace}name" -> "name": a statement has few distinct tags
_MAX_LOCAL_NAMES = 4096
NAMESPACE = re.compile(r"^urn:iso:std:iso:20022:tech:xsd:camt\.053\.001\.0([2-8])$")


def _local(node: Any) -> str:
    tag = node.tag
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


class _Element:
    """An element whose descendants are looked up by their path of local names (any
    namespace, as lxml's `{*}name`), listed in one pass on the first lookup: a statement's
    thousands of entries are each looked up some twenty times."""

    __slots__ = ("_paths", "node", "prefix")

    def __init__(self, node: Any, within: _Element | None = None, prefix: tuple[str, ...] = ()) -> None:
        self.node = node
        # An element that is the only one at its path from the element listed (`within`) is
        # looked up in that listing: everything below the path is below it.
        self._paths: dict[tuple[str, ...], list[Any]] | None = within._paths if within is not None else None
        self.prefix = prefix

    def descendants(self) -> dict[tuple[str, ...], list[Any]]:
        """Every element below the listed element by its path from there, in document order."""
        if self._paths is None:
            found: dict[tuple[str, ...], list[Any]] = {}
            path_of: dict[Any, tuple[str, ...]] = {self.node: ()}
            local = _LOCAL_NAMES
            walk = self.node.iter(etree.Element)  # elements only: no comment, no processing instruction
            next(walk)  # the element itself
            for node in walk:
                tag = node.tag
                name = local.get(tag)
                if name is None:
                    name = tag.rsplit("}", 1)[-1]
                    if len(local) < _MAX_LOCAL_NAMES:
                        local[tag] = name
                path = path_of[node.getparent()] + (name,)
                path_of[node] = path
                if path in found:
                    found[path].append(node)
                else:
                    found[path] = [node]
            self._paths = found
        return self._paths

    def find(self, path: tuple[str, ...]) -> list[Any]:
        """The elements at `path` below this one, in document order."""
        return self.descendants().get(self.prefix + path, [])

    def _at(self, path: tuple[str, ...], node: Any, alone: bool) -> _Element:
        if alone:
            self.descendants()
            return _Element(node, self, self.prefix + path)
        return _Element(node)

    def children(self, name: str) -> list[_Element]:
        found = self.find((name,))
        return [self._at((name,), node, len(found) == 1) for node in found]

    def child(self, *path: str) -> _Element | None:
        """The first element at `path` under this one, in document order, or None (as lxml's
        `find`: elements at the same depth come in document order)."""
        if not path:
            return self
        found = self.find(path)
        return self._at(path, found[0], len(found) == 1) if found else None

    @property
    def line(self) -> int:
        return int(self.node.sourceline or 1)


def _children(node: _Element | None, name: str) -> list[_Element]:
    return node.children(name) if node is not None else []


def _child(node: _Element | None, *path: str) -> _Element | None:
    """The first element at `path` (local names, any namespace) under `node`, or None."""
    return node.child(*path) if node is not None else None


def _text(node: _Element | None, *path: str) -> str:
    """The text of the first element at `path`, white space collapsed; "" when there is none."""
    if node is None:
        return ""
    if not path:
        return " ".join((node.node.text or "").split())
    found = node.find(path)
    return " ".join((found[0].text or "").split()) if found else ""


def _line(node: _Element) -> int:
    return node.line


def read_camt(path: Path, raw: bytes) -> Statement:
    statement = Statement(path, "camt053")
    try:
        root = safe_parse(raw)
    except XmlRefused as exc:
        statement.error(
            exc.line, exc.column, exc.message.replace("an e-invoice has no DOCTYPE", "a bank statement has none")
        )
        return statement
    namespace = root.tag[1:].split("}", 1)[0] if root.tag.startswith("{") else ""
    if _local(root) != "Document" or not NAMESPACE.match(namespace):
        statement.error(
            int(root.sourceline or 1),
            1,
            f"not a camt.053 statement (001.02 to 001.08): root {_local(root)} in '{namespace}'",
        )
        return statement
    # Above the entries, lxml's own lookups (a few); each entry is read through `_Element`.
    message = root.find("{*}BkToCstmrStmt")
    for stmt in message.iterfind("{*}Stmt") if message is not None else []:
        currency = stmt.find("{*}Acct/{*}Ccy")
        text = currency.text if currency is not None else None
        for entry in stmt.iterfind("{*}Ntry"):
            _read_entry(statement, _Element(entry), text.strip() if text else "")
    return statement


def _read_entry(statement: Statement, entry: _Element, account_currency: str) -> None:
    status = _text(entry, "Sts", "Cd") or _text(entry, "Sts")  # 001.08: Sts/Cd; before: Sts
    if status and status != "BOOK":
        return  # pending or informational: not money on the account yet
    credit = _text(entry, "CdtDbtInd") == "CRDT"
    reversal = _text(entry, "RvslInd").lower() in ("true", "1")
    details = [t for d in _children(entry, "NtryDtls") for t in _children(d, "TxDtls")]
    returned = any(_child(t, "RtrInf") is not None for t in details)
    if not credit and not (reversal or returned):
        return  # an ordinary debit: not a payment received
    if credit and reversal:
        return  # the reversal of a debit: not a client's payment
    amount, currency = _amount(statement, entry)
    booked = _booking_date(statement, entry)
    if amount is None or booked is None:
        return
    ref = _text(entry, "AcctSvcrRef") or _text(entry, "NtryRef")
    if not ref:
        statement.error(_line(entry), 1, "entry without a bank reference (AcctSvcrRef or NtryRef)")
        return
    currency = currency or account_currency
    if not details:
        statement.entries.append(
            Entry(statement.file, _line(entry), booked, amount, currency, ref, reversal=not credit)
        )
        return
    for position, tx in enumerate(details, start=1):
        tx_amount: Decimal | None = amount
        if len(details) > 1:
            tx_amount, tx_currency = _amount(statement, tx, "AmtDtls", "TxAmt")
            if tx_amount is None:
                tx_amount, tx_currency = _amount(statement, tx)  # 001.08: TxDtls/Amt
            if tx_amount is None:
                statement.error(_line(tx), 1, "batched entry: a transaction without its amount (AmtDtls/TxAmt/Amt)")
                continue
            currency = tx_currency or currency
        assert tx_amount is not None
        tx_ref = _text(tx, "Refs", "AcctSvcrRef")
        own_ref = tx_ref if len(details) > 1 and tx_ref else ref if len(details) == 1 else f"{ref}/{position}"
        statement.entries.append(_transaction(statement, tx, booked, tx_amount, currency, own_ref, credit, tx_ref))


def _transaction(
    statement: Statement,
    tx: _Element,
    booked: date,
    amount: Decimal,
    currency: str,
    ref: str,
    credit: bool,
    tx_ref: str,
) -> Entry:
    parties = _child(tx, "RltdPties")
    # A credit's counterparty is the debtor; a returned credit names it as debtor too.
    name = _text(parties, "Dbtr", "Nm") or _text(parties, "Dbtr", "Pty", "Nm")  # 001.08: Dbtr/Pty/Nm
    iban = _text(parties, "DbtrAcct", "Id", "IBAN")
    remittance = _child(tx, "RmtInf")
    parts = [_text(u) for u in _children(remittance, "Ustrd")]
    for structured in _children(remittance, "Strd"):
        parts += [_text(d, "Nb") for d in _children(structured, "RfrdDocInf")]
        parts.append(_text(structured, "CdtrRefInf", "Ref"))
        parts += [_text(a) for a in _children(structured, "AddtlRmtInf")]
    end_to_end = _text(tx, "Refs", "EndToEndId")
    if end_to_end == "NOTPROVIDED":
        end_to_end = ""
    reason = _text(tx, "RtrInf", "Rsn", "Cd") or _text(tx, "RtrInf", "Rsn", "Prtry")
    return Entry(
        statement.file,
        _line(tx),
        booked,
        amount,
        currency,
        ref,
        counterparty=name,
        iban=iban.replace(" ", ""),
        remittance=" ".join(p for p in parts if p),
        end_to_end=end_to_end,
        reversal=not credit,
        return_reason=reason,
        original_ref=tx_ref if not credit else "",
    )


def _amount(statement: Statement, node: _Element, *path: str) -> tuple[Decimal | None, str]:
    found = _child(node, *path, "Amt")
    if found is None:
        if not path:
            statement.error(_line(node), 1, "entry without an amount (Amt)")
        return None, ""
    text = found.node.text
    try:
        value = Decimal((text or "").strip())
    except InvalidOperation:
        statement.error(_line(found), 1, f"amount '{text}' is not a number")
        return None, ""
    if value <= 0 or value != value.quantize(_CENT):
        statement.error(_line(found), 1, f"amount '{text}' must be positive with at most 2 decimals")
        return None, ""
    return value, str(found.node.get("Ccy") or "")


def _booking_date(statement: Statement, entry: _Element) -> date | None:
    text = _text(entry, "BookgDt", "Dt") or _text(entry, "BookgDt", "DtTm")[:10]
    try:
        return date.fromisoformat(text)
    except ValueError:
        found = _child(entry, "BookgDt")
        statement.error(_line(found if found is not None else entry), 1, f"booking date '{text}' is not a date")
        return None
