"""Read the open receivables of a FEC (Fichier des écritures comptables, LPF art. A47 A-1).

Layer: bytes -> `Source`. A FEC has 18 columns (tab or `|` separated; some programs write
`Montant` and `Sens` instead of `Debit` and `Credit`). Open receivables are debit lines on
client accounts (`411…`, or any `41…` line with a `CompAuxNum`), grouped by `PieceRef`:
- a lettering group (`EcritureLet`) whose debits equal its credits is paid: left out;
- a group with fewer credits than debits is partly paid: its invoices are imported with the
  credits as payments (oldest invoice first);
- an unlettered debit is an open invoice;
- an unlettered credit (a payment or credit note not yet lettered) is applied to nothing and
  reported where it is.
The FEC has no due date: the invoice date + `import.default_terms_days`, said in the output.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from relancegit.importing.csvfile import decode
from relancegit.importing.source import Buyer, Payment, Source, SourceInvoice, parse_amount
from relancegit.model import ImportSettings

COLUMNS = (
    "JournalCode",
    "JournalLib",
    "EcritureNum",
    "EcritureDate",
    "CompteNum",
    "CompteLib",
    "CompAuxNum",
    "CompAuxLib",
    "PieceRef",
    "PieceDate",
    "EcritureLib",
    "Debit",
    "Credit",
    "EcritureLet",
    "DateLet",
    "ValidDate",
    "Montantdevise",
    "Idevise",
)
_NEEDED = ("JournalCode", "EcritureNum", "EcritureDate", "CompteNum", "PieceRef")
ZERO = Decimal(0)


@dataclass
class _Line:
    line: int
    journal: str
    entry: str
    day: date
    account: str
    account_name: str
    aux: str
    aux_name: str
    piece: str
    piece_day: date
    label: str
    debit: Decimal
    credit: Decimal
    letter: str
    column_of_piece: int


def _fec_date(text: str) -> date | None:
    value = text.strip()
    for pattern in (r"(\d{4})(\d{2})(\d{2})", r"(\d{4})-(\d{2})-(\d{2})", r"(\d{2})/(\d{2})/(\d{4})"):
        found = re.fullmatch(pattern, value)
        if found:
            parts = [int(p) for p in found.groups()]
            year, month, day = parts if len(found.group(1)) == 4 else parts[::-1]
            try:
                return date(year, month, day)
            except ValueError:
                return None
    return None


def read_fec(path: Path, raw: bytes, settings: ImportSettings) -> Source:
    source = Source(path, "fec")
    text, encoding = decode(raw)
    lines = text.splitlines()
    if not lines:
        source.error(1, 1, "empty file: expected the FEC header (JournalCode, JournalLib, …)")
        return source
    separator = "\t" if lines[0].count("\t") >= lines[0].count("|") else "|"
    header = [h.strip() for h in lines[0].split(separator)]
    index = {h.casefold(): i for i, h in enumerate(header)}
    missing = [c for c in _NEEDED if c.casefold() not in index]
    signed = "montant" in index and "sens" in index
    if not signed:
        missing += [c for c in ("Debit", "Credit") if c.casefold() not in index]
    if missing:
        source.error(1, 1, f"not a FEC header: no column {', '.join(missing)} (expected {'|'.join(COLUMNS)})")
        return source
    entries: list[_Line] = []
    for number, line in enumerate(lines[1:], start=2):
        if line.strip():
            parsed = _parse_line(source, number, line.split(separator), index, signed, len(header))
            if parsed is not None:
                entries.append(parsed)
    if source.problems:
        return source
    _open_receivables(source, entries, settings)
    if encoding not in ("utf-8", "utf-8-sig"):
        source.notes.append(f"{path.name}: read as {encoding}")
    return source


def _parse_line(
    source: Source, number: int, fields: list[str], index: dict[str, int], signed: bool, width: int
) -> _Line | None:
    if len(fields) != width:
        source.error(number, 1, f"{len(fields)} fields, the header has {width}")
        return None
    starts = [1]
    for value in fields[:-1]:
        starts.append(starts[-1] + len(value) + 1)

    def get(name: str) -> tuple[str, int]:
        i = index.get(name.casefold())
        return ("", 1) if i is None else (fields[i].strip(), starts[i])

    before = len(source.problems)

    def day(name: str, fallback: date | None = None) -> date | None:
        value, column = get(name)
        if not value and fallback is not None:
            return fallback
        found = _fec_date(value)
        if found is None:
            source.error(number, column, f"{name} {value!r}: expected a date YYYYMMDD")
        return found

    def money(name: str) -> Decimal:
        value, column = get(name)
        found = parse_amount(value or "0")
        if found is None:
            source.error(number, column, f"{name} {value!r}: expected an amount like 1200,00")
            return ZERO
        return found

    entry_day = day("EcritureDate")
    piece_day = day("PieceDate", entry_day)
    if signed:
        amount, direction = money("Montant"), get("Sens")
        if direction[0].upper() not in ("D", "C", "+1", "-1"):
            source.error(number, direction[1], f"Sens {direction[0]!r}: expected D or C")
        debit, credit = (amount, ZERO) if direction[0].upper() in ("D", "+1") else (ZERO, amount)
    else:
        debit, credit = money("Debit"), money("Credit")
    if len(source.problems) > before or entry_day is None or piece_day is None:
        return None
    piece, piece_column = get("PieceRef")
    return _Line(
        line=number,
        journal=get("JournalCode")[0],
        entry=get("EcritureNum")[0],
        day=entry_day,
        account=get("CompteNum")[0],
        account_name=get("CompteLib")[0],
        aux=get("CompAuxNum")[0],
        aux_name=get("CompAuxLib")[0],
        piece=piece or get("EcritureNum")[0],
        piece_day=piece_day,
        label=get("EcritureLib")[0],
        debit=debit,
        credit=credit,
        letter=get("EcritureLet")[0],
        column_of_piece=piece_column,
    )


def _is_client(line: _Line) -> bool:
    return line.account.startswith("411") or (line.account.startswith("41") and bool(line.aux))


def _open_receivables(source: Source, entries: list[_Line], settings: ImportSettings) -> None:
    # Net of an invoice: the class 7 (revenue) lines of its entry, credits less debits.
    net: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for line in entries:
        if line.account.startswith("7"):
            net[(line.journal, line.entry)] += line.credit - line.debit
    by_client: dict[str, list[_Line]] = defaultdict(list)
    for line in entries:
        if _is_client(line):
            by_client[line.aux or line.account].append(line)
    terms = settings.default_terms_days
    due_note = f"the FEC has no due dates: invoice date + {terms} days (import.default_terms_days)"
    for account, lines in by_client.items():
        name = next((ln.aux_name or ln.account_name for ln in lines if ln.aux_name or ln.account_name), account)
        buyer = Buyer(name=" ".join(name.split()), account=account)
        groups: dict[str, list[_Line]] = defaultdict(list)
        for line in lines:
            groups[line.letter].append(line)
        for letter, group in groups.items():
            debits = [ln for ln in group if ln.debit > 0]
            credits = [ln for ln in group if ln.credit > 0]
            if not letter:
                _invoices(source, debits, {}, buyer, net, terms, due_note)
                for credit in credits:
                    source.warning(
                        credit.line,
                        credit.column_of_piece,
                        f"credit {credit.credit:.2f} on client account {account} ({credit.piece}, {credit.label}) "
                        "is not lettered: applied to no invoice (letter it, or record it on its case)",
                    )
                continue
            owed = sum((ln.debit for ln in debits), ZERO) - sum((ln.credit for ln in credits), ZERO)
            if owed == 0:
                source.paid += sorted({ln.piece for ln in debits})
            elif owed < 0:
                source.warning(
                    group[0].line,
                    group[0].column_of_piece,
                    f"lettering {letter!r} of client account {account} credits {-owed:.2f} more than it debits: "
                    "the excess is applied to no invoice",
                )
                source.paid += sorted({ln.piece for ln in debits})
            else:
                _invoices(source, debits, _allocate(debits, credits), buyer, net, terms, due_note)


def _allocate(debits: list[_Line], credits: list[_Line]) -> dict[str, list[Payment]]:
    """The lettered credits of a partly lettered group, applied to its oldest invoices first."""
    pieces: dict[str, Decimal] = defaultdict(Decimal)
    for line in sorted(debits, key=lambda ln: (ln.piece_day, ln.line)):
        pieces[line.piece] += line.debit
    paid: dict[str, list[Payment]] = defaultdict(list)
    for credit in sorted(credits, key=lambda ln: (ln.day, ln.line)):
        left = credit.credit
        for piece, owed in pieces.items():
            if left <= 0:
                break
            if owed <= 0:
                continue
            part = min(owed, left)
            pieces[piece] -= part
            left -= part
            paid[piece].append(Payment(credit.day, part, credit.piece or None))
    return paid


def _invoices(
    source: Source,
    debits: list[_Line],
    payments: dict[str, list[Payment]],
    buyer: Buyer,
    net: dict[tuple[str, str], Decimal],
    terms: int,
    due_note: str,
) -> None:
    pieces: dict[str, list[_Line]] = defaultdict(list)
    for line in debits:
        pieces[line.piece].append(line)
    for piece, lines in pieces.items():
        first = lines[0]
        amount = sum((ln.debit for ln in lines), ZERO)
        paid = payments.get(piece, [])
        if sum((p.amount for p in paid), ZERO) >= amount:
            source.paid.append(piece)
            continue
        entries = {(ln.journal, ln.entry) for ln in lines}
        net_amount = sum((net.get(e, ZERO) for e in entries), ZERO)
        source.invoices.append(
            SourceInvoice(
                number=piece,
                date=first.piece_day,
                due=first.piece_day + timedelta(days=terms),
                amount=amount,
                buyer=buyer,
                file=source.file,
                line=first.line,
                column=first.column_of_piece,
                net=net_amount if 0 < net_amount <= amount else None,
                payments=tuple(paid),
                due_note=due_note,
            )
        )
