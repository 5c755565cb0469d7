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
_ELEMENTS = etree.Element  # as a filter: elements only, no comment or processing instruction


def _local(node: Any) -> str:
    tag = node.tag
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


class _Tree:
    """The elements of one entry, looked up by their path of local names (any namespace, as
    lxml's `{*}name`), the first in document order as lxml's `find`. Each element's children
    are listed by local name once, on its first lookup: an entry is looked up some twenty
    times, and a statement has thousands of entries."""

    __slots__ = ("_kids",)

    def __init__(self) -> None:
        self._kids: dict[Any, dict[str, list[Any]]] = {}

    def kids(self, node: Any) -> dict[str, list[Any]]:
        """The element children of `node` by local name, in document order."""
        found = self._kids.get(node)
        if found is None:
            found = self._kids[node] = {}
            local = _LOCAL_NAMES
            for child in node.iterchildren(_ELEMENTS):
                tag = child.tag
                name = local.get(tag)
                if name is None:
                    name = tag.rsplit("}", 1)[-1]
                    if len(local) < _MAX_LOCAL_NAMES:
                        local[tag] = name
                same = found.get(name)
                if same is None:
                    found[name] = [child]
                else:
                    same.append(child)
        return found

    def children(self, node: Any | None, name: str) -> list[Any]:
        return self.kids(node).get(name, _NONE) if node is not None else _NONE

    def at(self, node: Any | None, path: tuple[str, ...]) -> Any | None:
        """The first element at `path` under `node` in document order, or None."""
        if node is None:
            return None
        found = self.kids(node).get(path[0])
        if found is None:
            return None
        if len(path) == 1:
            return found[0]
        rest = path[1:]
        for item in found:
            hit = self.at(item, rest)
            if hit is not None:
                return hit
        return None

    def text(self, node: Any | None, path: tuple[str, ...]) -> str:
        """The text of the first element at `path`, white space collapsed; "" when there is none."""
        found = self.at(node, path)
        return _text(found) if found is not None else ""


_NONE: list[Any] = []


def _text(node: Any) -> str:
    """An element's text, white space collapsed."""
    text = node.text
    return " ".join(text.split()) if text else ""


def _line(node: Any) -> int:
    return int(node.sourceline or 1)


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
    # Above the entries, lxml's own lookups (a few); each entry is read through a `_Tree`.
    message = root.find("{*}BkToCstmrStmt")
    for stmt in message.iterfind("{*}Stmt") if message is not None else []:
        currency = stmt.find("{*}Acct/{*}Ccy")
        text = currency.text if currency is not None else None
        for entry in stmt.iterfind("{*}Ntry"):
            _read_entry(statement, _Tree(), entry, text.strip() if text else "")
    return statement


def _read_entry(statement: Statement, tree: _Tree, entry: Any, account_currency: str) -> None:
    kids = tree.kids
    own = kids(entry)
    status = _first_text(own, "Sts", tree, ("Cd",)) or _first_text(own, "Sts")  # 001.08: Sts/Cd; before: Sts
    if status and status != "BOOK":
        return  # pending or informational: not money on the account yet
    credit = _first_text(own, "CdtDbtInd") == "CRDT"
    reversal = _first_text(own, "RvslInd").lower() in ("true", "1")
    details = [t for d in own.get("NtryDtls", _NONE) for t in kids(d).get("TxDtls", _NONE)]
    returned = any("RtrInf" in kids(t) for t in details)
    if not credit and not (reversal or returned):
        return  # an ordinary debit: not a payment received
    if credit and reversal:
        return  # the reversal of a debit: not a client's payment
    amount, currency = _amount(statement, tree, entry)
    booked = _booking_date(statement, tree, entry)
    if amount is None or booked is None:
        return
    ref = _first_text(own, "AcctSvcrRef") or _first_text(own, "NtryRef")
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
            tx_amount, tx_currency = _amount(statement, tree, tx, ("AmtDtls", "TxAmt", "Amt"))
            if tx_amount is None:
                tx_amount, tx_currency = _amount(statement, tree, tx)  # 001.08: TxDtls/Amt
            if tx_amount is None:
                statement.error(_line(tx), 1, "batched entry: a transaction without its amount (AmtDtls/TxAmt/Amt)")
                continue
            currency = tx_currency or currency
        assert tx_amount is not None
        refs = kids(tx).get("Refs")
        tx_ref = _first_text(kids(tx), "Refs", tree, ("AcctSvcrRef",)) if refs else ""
        own_ref = tx_ref if len(details) > 1 and tx_ref else ref if len(details) == 1 else f"{ref}/{position}"
        statement.entries.append(
            _transaction(statement, tree, tx, booked, tx_amount, currency, own_ref, credit, tx_ref)
        )


def _first_text(kids: dict[str, list[Any]], name: str, tree: _Tree | None = None, below: tuple[str, ...] = ()) -> str:
    """The text of the first element at `name`/`below` (`below` looked up with `tree`), given
    the children by name of the element looked in; "" when there is none."""
    found = kids.get(name)
    if found is None:
        return ""
    if tree is None or not below:
        return _text(found[0])
    for item in found:
        hit = tree.at(item, below)
        if hit is not None:
            return _text(hit)
    return ""


def _transaction(
    statement: Statement,
    tree: _Tree,
    tx: Any,
    booked: date,
    amount: Decimal,
    currency: str,
    ref: str,
    credit: bool,
    tx_ref: str,
) -> Entry:
    kids = tree.kids
    own = kids(tx)
    name = iban = ""
    if "RltdPties" in own:
        # A credit's counterparty is the debtor; a returned credit names it as debtor too.
        name = _first_text(own, "RltdPties", tree, ("Dbtr", "Nm")) or _first_text(
            own, "RltdPties", tree, ("Dbtr", "Pty", "Nm")
        )  # 001.08: Dbtr/Pty/Nm
        iban = _first_text(own, "RltdPties", tree, ("DbtrAcct", "Id", "IBAN"))
    parts: list[str] = []
    remittances = own.get("RmtInf")
    if remittances:
        remittance = kids(remittances[0])
        parts += [_text(u) for u in remittance.get("Ustrd", _NONE)]
        for structured in remittance.get("Strd", _NONE):
            inside = kids(structured)
            parts += [_first_text(kids(d), "Nb") for d in inside.get("RfrdDocInf", _NONE)]
            parts.append(_first_text(inside, "CdtrRefInf", tree, ("Ref",)))
            parts += [_text(a) for a in inside.get("AddtlRmtInf", _NONE)]
    end_to_end = _first_text(own, "Refs", tree, ("EndToEndId",))
    if end_to_end == "NOTPROVIDED":
        end_to_end = ""
    reason = ""
    if "RtrInf" in own:
        reason = _first_text(own, "RtrInf", tree, ("Rsn", "Cd")) or _first_text(own, "RtrInf", tree, ("Rsn", "Prtry"))
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


def _amount(
    statement: Statement, tree: _Tree, node: Any, path: tuple[str, ...] = ("Amt",)
) -> tuple[Decimal | None, str]:
    found = tree.at(node, path)
    if found is None:
        if len(path) == 1:
            statement.error(_line(node), 1, "entry without an amount (Amt)")
        return None, ""
    text = found.text
    try:
        value = Decimal((text or "").strip())
    except InvalidOperation:
        statement.error(_line(found), 1, f"amount '{text}' is not a number")
        return None, ""
    if value <= 0 or value != value.quantize(_CENT):
        statement.error(_line(found), 1, f"amount '{text}' must be positive with at most 2 decimals")
        return None, ""
    return value, str(found.get("Ccy") or "")


def _booking_date(statement: Statement, tree: _Tree, entry: Any) -> date | None:
    text = tree.text(entry, ("BookgDt", "Dt")) or tree.text(entry, ("BookgDt", "DtTm"))[:10]
    try:
        return date.fromisoformat(text)
    except ValueError:
        found = tree.at(entry, ("BookgDt",))
        statement.error(_line(found if found is not None else entry), 1, f"booking date '{text}' is not a date")
        return None
