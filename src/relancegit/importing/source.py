"""What every reader of `relancegit import` produces: open invoices and their buyers, located
in their source file, and the problems found there.

Layer: plain values, no files read, no ledger known. A reader (`csvfile`, `fec`, `einvoice`)
turns one input file into a `Source`; `plan` matches it against the ledger.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from relancegit.problems import Problem, Severity

_Date = date  # the type, for classes whose field is named `date`


@dataclass(frozen=True)
class Buyer:
    """The debtor as the source knows it (every field optional but the name)."""

    name: str
    siren: str | None = None
    vat: str | None = None
    email: str | None = None
    address: tuple[str, ...] = ()
    type: str | None = None  # business / consumer, when the source says
    account: str | None = None  # the accounting account (FEC `CompAuxNum`), for the output


@dataclass(frozen=True)
class Payment:
    """Money already received on an invoice (a partly lettered FEC line)."""

    date: _Date
    amount: Decimal
    ref: str | None = None


@dataclass(frozen=True)
class CreditNote:
    """A credit note of the source: reduces the invoice it names (`invoice`), if known."""

    number: str
    date: _Date
    amount: Decimal
    invoice: str | None
    buyer: Buyer
    file: Path
    line: int
    column: int = 1


@dataclass(frozen=True)
class SourceInvoice:
    """One open invoice, located where the source holds it."""

    number: str
    date: _Date
    due: _Date
    amount: Decimal  # total with tax (TTC)
    buyer: Buyer
    file: Path
    line: int
    column: int = 1
    net: Decimal | None = None
    payments: tuple[Payment, ...] = ()
    due_note: str | None = None  # how the due date was chosen when the source has none


@dataclass
class Source:
    """One input file read: its open invoices, what was left aside and why, its problems."""

    file: Path
    kind: str
    invoices: list[SourceInvoice] = field(default_factory=list)
    credit_notes: list[CreditNote] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # said in the output (e.g. default terms)
    paid: list[str] = field(default_factory=list)  # invoice numbers the source shows as paid

    def error(self, line: int, column: int, message: str) -> None:
        self.problems.append(Problem(self.file, message, line=max(line, 1), column=max(column, 1)))

    def warning(self, line: int, column: int, message: str) -> None:
        problem = Problem(self.file, message, severity=Severity.WARNING, line=max(line, 1), column=max(column, 1))
        self.problems.append(problem)


# --- French conventions for numbers and dates -----------------------------------------------

_SPACES = re.compile(r"[\s\u00a0\u202f']")
_CURRENCY = re.compile(r"(?i)\s*(€|eur)\s*$")


def parse_amount(text: str, decimal: str | None = None) -> Decimal | None:
    """`1 234,56`, `1234.56`, `1.234,56 €` -> Decimal('1234.56'); None when not a number."""
    value = _SPACES.sub("", _CURRENCY.sub("", text.strip()))
    if not value:
        return None
    if decimal is None:
        # The last of `,` and `.` is the decimal mark, unless it appears twice (1.234.567).
        mark = max(value.rfind(","), value.rfind("."))
        decimal = "." if mark < 0 else value[mark]
        if value.count(decimal) > 1:
            decimal = "," if decimal == "." else "."
    thousands = "." if decimal == "," else ","
    value = value.replace(thousands, "").replace(decimal, ".")
    if not re.fullmatch(r"[+-]?\d+(\.\d+)?", value):
        return None
    try:
        return Decimal(value)
    except InvalidOperation:
        return None


_DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y", "%Y%m%d", "%d/%m/%y")


def parse_date(text: str, date_format: str | None = None) -> date | None:
    """`31/12/2026`, `2026-12-31`, `31-12-2026`, `31.12.2026`, `20261231` (or `date_format`)."""
    value = text.strip()
    for pattern in (date_format,) if date_format else _DATE_FORMATS:
        try:
            day = datetime.strptime(value, pattern).date()
        except ValueError:
            continue
        if 1900 <= day.year <= 2199:
            return day
    return None
