"""The camt.053 reader (`matching.camt`) against an independent reading of the same files with
lxml's own `find` (the documented rule: each field is the first element at its path of local
names, in document order), on generated statements: entries of many shapes, each shape
repeated with other values (the reader keeps its lookups by shape), with the malformed values
that make located errors."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from relancegit.matching import camt
from relancegit.matching.statement import Entry, Statement

NS = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"
FILE = Path("statement.xml")

# --- the reference: lxml's find, as the camt reader's documentation says -------------------------


def _find(node: Any, *path: str) -> Any:
    return node.find("/".join("{*}" + name for name in path)) if node is not None else None


def _text(node: Any, *path: str) -> str:
    found = _find(node, *path) if path else node
    return " ".join((found.text or "").split()) if found is not None else ""


def _children(node: Any, name: str) -> list[Any]:
    return node.findall("{*}" + name) if node is not None else []


def reference(raw: bytes) -> tuple[list[Entry], list[str]]:
    statement = Statement(FILE, "camt053")
    root = etree.fromstring(raw)
    for stmt in root.find("{*}BkToCstmrStmt").iterfind("{*}Stmt"):
        ccy = stmt.find("{*}Acct/{*}Ccy")
        account = (ccy.text or "").strip() if ccy is not None else ""
        for entry in stmt.iterfind("{*}Ntry"):
            _entry(statement, entry, account)
    return statement.entries, [p.format() for p in statement.problems]


def _amount(statement: Statement, node: Any, *path: str) -> tuple[Decimal | None, str]:
    found = _find(node, *path, "Amt")
    if found is None:
        if not path:
            statement.error(node.sourceline, 1, "entry without an amount (Amt)")
        return None, ""
    try:
        value = Decimal((found.text or "").strip())
    except InvalidOperation:
        statement.error(found.sourceline, 1, f"amount '{found.text}' is not a number")
        return None, ""
    if value <= 0 or value != value.quantize(Decimal("0.01")):
        statement.error(found.sourceline, 1, f"amount '{found.text}' must be positive with at most 2 decimals")
        return None, ""
    return value, str(found.get("Ccy") or "")


def _entry(statement: Statement, entry: Any, account: str) -> None:
    status = _text(entry, "Sts", "Cd") or _text(entry, "Sts")
    if status and status != "BOOK":
        return
    credit = _text(entry, "CdtDbtInd") == "CRDT"
    reversal = _text(entry, "RvslInd").lower() in ("true", "1")
    details = [t for d in _children(entry, "NtryDtls") for t in _children(d, "TxDtls")]
    if not credit and not (reversal or any(_find(t, "RtrInf") is not None for t in details)):
        return
    if credit and reversal:
        return
    amount, currency = _amount(statement, entry)
    text = _text(entry, "BookgDt", "Dt") or _text(entry, "BookgDt", "DtTm")[:10]
    try:
        booked: date | None = date.fromisoformat(text)
    except ValueError:
        found = _find(entry, "BookgDt")
        statement.error((found if found is not None else entry).sourceline, 1, f"booking date '{text}' is not a date")
        booked = None
    if amount is None or booked is None:
        return
    ref = _text(entry, "AcctSvcrRef") or _text(entry, "NtryRef")
    if not ref:
        statement.error(entry.sourceline, 1, "entry without a bank reference (AcctSvcrRef or NtryRef)")
        return
    currency = currency or account
    if not details:
        statement.entries.append(Entry(FILE, entry.sourceline, booked, amount, currency, ref, reversal=not credit))
        return
    for number, tx in enumerate(details, start=1):
        tx_amount = amount
        if len(details) > 1:
            tx_amount, tx_currency = _amount(statement, tx, "AmtDtls", "TxAmt")
            if tx_amount is None:
                tx_amount, tx_currency = _amount(statement, tx)
            if tx_amount is None:
                statement.error(tx.sourceline, 1, "batched entry: a transaction without its amount (AmtDtls/TxAmt/Amt)")
                continue
            currency = tx_currency or currency
        tx_ref = _text(tx, "Refs", "AcctSvcrRef")
        own_ref = tx_ref if len(details) > 1 and tx_ref else ref if len(details) == 1 else f"{ref}/{number}"
        parties = _find(tx, "RltdPties")
        remittance = _find(tx, "RmtInf")
        parts = [_text(u) for u in _children(remittance, "Ustrd")]
        for structured in _children(remittance, "Strd"):
            parts += [_text(d, "Nb") for d in _children(structured, "RfrdDocInf")]
            parts.append(_text(structured, "CdtrRefInf", "Ref"))
            parts += [_text(a) for a in _children(structured, "AddtlRmtInf")]
        end_to_end = _text(tx, "Refs", "EndToEndId")
        statement.entries.append(
            Entry(
                FILE,
                tx.sourceline,
                booked,
                tx_amount,
                currency,
                own_ref,
                counterparty=_text(parties, "Dbtr", "Nm") or _text(parties, "Dbtr", "Pty", "Nm"),
                iban=_text(parties, "DbtrAcct", "Id", "IBAN").replace(" ", ""),
                remittance=" ".join(p for p in parts if p),
                end_to_end="" if end_to_end == "NOTPROVIDED" else end_to_end,
                reversal=not credit,
                return_reason=_text(tx, "RtrInf", "Rsn", "Cd") or _text(tx, "RtrInf", "Rsn", "Prtry"),
                original_ref=tx_ref if not credit else "",
            )
        )


# --- generated statements --------------------------------------------------------------------

words = st.sampled_from(["", "  ", "FACTURE F-1", " Acme\tSAS ", "2026-0042", "RF18 5390 0754 7034", "é à", "x\ny"])
# Mostly valid values, so that most entries reach their transactions; the others make errors.
amounts = st.sampled_from(["100.00", "19.99", " 42.10 ", "0.5", "7", "-3.00", "1.234", "abc", ""])
days = st.sampled_from(["2026-11-23", "2026-11-24T10:00:00", "2026-12-01", "2026-02-30", "", "23/11/2026"])
maybe = st.booleans()
mostly = st.integers(0, 4).map(bool)  # true four times in five


def leaf(name: str, text: str) -> str:
    return f"<{name}>{escape(text)}</{name}>"


@st.composite
def transaction(draw: st.DrawFn) -> str:
    out = ["<TxDtls>"]
    if draw(maybe):
        out.append("<!-- a comment -->")
    if draw(maybe):
        refs = [leaf("AcctSvcrRef", draw(words))] if draw(maybe) else []
        refs += [leaf("EndToEndId", draw(st.sampled_from(["E2E-1", "NOTPROVIDED", " e 2 e "])))] if draw(maybe) else []
        out.append("<Refs>" + "".join(refs) + "</Refs>")
    if draw(maybe):
        out.append(f'<AmtDtls><TxAmt><Amt Ccy="EUR">{escape(draw(amounts))}</Amt></TxAmt></AmtDtls>')
    if draw(maybe):
        out.append(f'<Amt Ccy="{draw(st.sampled_from(["EUR", "USD", ""]))}">{escape(draw(amounts))}</Amt>')
    for _ in range(draw(st.integers(0, 2))):  # RltdPties: none, one or two
        party = draw(
            st.sampled_from(
                [
                    "<Dbtr>{}</Dbtr>",
                    "<Dbtr><Pty>{}</Pty></Dbtr>",
                    "<Dbtr><Pty><Nm>pty</Nm></Pty>{}</Dbtr>",
                    "<Cdtr>{}</Cdtr>",
                ]
            )
        )
        inner = party.format(leaf("Nm", draw(words)))
        if draw(maybe):
            inner += f"<DbtrAcct><Id><IBAN>{escape(draw(words))}</IBAN></Id></DbtrAcct>"
        out.append(f"<RltdPties>{inner}</RltdPties>")
    if draw(maybe):
        parts = [leaf("Ustrd", draw(words)) for _ in range(draw(st.integers(0, 2)))]
        for _ in range(draw(st.integers(0, 2))):
            inner = "".join(
                f"<RfrdDocInf>{leaf('Nb', draw(words))}</RfrdDocInf>" for _ in range(draw(st.integers(0, 2)))
            )
            inner += f"<CdtrRefInf>{leaf('Ref', draw(words))}</CdtrRefInf>" if draw(maybe) else ""
            inner += leaf("AddtlRmtInf", draw(words)) if draw(maybe) else ""
            parts.append(f"<Strd>{inner}</Strd>")
        out.append("<RmtInf>" + "".join(parts) + "</RmtInf>")
    if draw(maybe):
        reason = draw(st.sampled_from(["<Cd>AC04</Cd>", "<Prtry>RETURNED</Prtry>", ""]))
        out.append(f"<RtrInf><Rsn>{reason}</Rsn></RtrInf>")
    out.append("</TxDtls>")
    return "".join(out)


@st.composite
def entry(draw: st.DrawFn) -> str:
    out = ["<Ntry>"]
    if draw(mostly):
        out.append(f'<Amt Ccy="EUR">{escape(draw(amounts))}</Amt>')
    out.append(leaf("CdtDbtInd", draw(st.sampled_from(["CRDT", "CRDT", "DBIT", " CRDT "]))))
    if draw(maybe):
        out.append(leaf("RvslInd", draw(st.sampled_from(["true", "false", "1", "TRUE"]))))
    status = draw(st.sampled_from(["<Sts><Cd>BOOK</Cd></Sts>", "<Sts>BOOK</Sts>", "<Sts><Cd>PDNG</Cd></Sts>", ""]))
    out.append(status)
    if draw(mostly):
        out.append(f"<BookgDt>{leaf(draw(st.sampled_from(['Dt', 'DtTm'])), draw(days))}</BookgDt>")
    if draw(mostly):
        out.append(leaf("AcctSvcrRef", draw(words)))
    if draw(maybe):
        out.append(leaf("NtryRef", draw(words)))
    for _ in range(draw(st.integers(0, 2))):
        out.append("<NtryDtls>" + "".join(draw(st.lists(transaction(), max_size=3))) + "</NtryDtls>")
    out.append("</Ntry>")
    return "\n".join(out)


def document(entries: list[str]) -> bytes:
    body = "\n".join(entries)
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Document xmlns="{NS}"><BkToCstmrStmt><Stmt>'
        f"<Acct><Ccy>EUR</Ccy></Acct>\n{body}\n</Stmt></BkToCstmrStmt></Document>\n"
    ).encode()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(entry(), min_size=1, max_size=6), st.lists(st.integers(0, 5), max_size=6))
def test_the_reader_reads_every_entry_as_lxml_finds_it(entries: list[str], again: list[int]):
    # Shapes seen again with the same structure: the first entries, repeated.
    entries += [entries[k % len(entries)] for k in again]
    raw = document(entries)

    statement = camt.read_camt(FILE, raw)

    expected_entries, expected_problems = reference(raw)
    assert statement.entries == expected_entries
    assert [p.format() for p in statement.problems] == expected_problems


def test_entries_of_one_shape_keep_their_own_values():
    one = (
        '<Ntry><Amt Ccy="EUR">{amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>'
        "<BookgDt><Dt>2026-11-2{day}</Dt></BookgDt><AcctSvcrRef>REF-{day}</AcctSvcrRef>"
        "<NtryDtls><TxDtls><RltdPties><Dbtr><Pty><Nm>{name}</Nm></Pty></Dbtr></RltdPties>"
        "<RmtInf><Ustrd>{text}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>"
    )
    raw = document(
        [
            one.format(amount="10.00", day=1, name="ACME SAS", text="FACTURE F-1"),
            one.format(amount="20.50", day=2, name="Dupont", text="  F-2 "),
        ]
    )

    entries = camt.read_camt(FILE, raw).entries

    assert [(e.amount, e.date.day, e.ref, e.counterparty, e.remittance, e.line) for e in entries] == [
        (Decimal("10.00"), 21, "REF-1", "ACME SAS", "FACTURE F-1", 3),
        (Decimal("20.50"), 22, "REF-2", "Dupont", "F-2", 4),
    ]
