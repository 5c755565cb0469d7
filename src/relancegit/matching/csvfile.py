"""Read a bank's CSV statement (`relancegit match --from csv`).

Layer: bytes -> `Statement`, with the import's French conventions (`importing.csvfile`:
`;` or `,` delimiter, decimal comma, `dd/mm/yyyy` dates, UTF-8 or Windows-1252). The
columns come from `match.csv.columns` in relancegit.yaml (date, amount or credit/debit,
counterparty, iban, remittance, ref), else are guessed from the header. Only credits are
entries. Without a `ref` column, an entry's reference is made from its date, amount and
text (and its rank among identical rows), so that a second run finds it recorded.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from pathlib import Path

from relancegit.importing.csvfile import decode, normalized, records, sniff_delimiter
from relancegit.importing.source import parse_amount, parse_date
from relancegit.matching.statement import Entry, Statement
from relancegit.model import MatchSettings

_GUESSES = (
    ("ref", re.compile(r"^ref|reference (banque|operation)|^id\b")),
    ("iban", re.compile(r"iban|compte")),
    ("credit", re.compile(r"credit")),
    ("debit", re.compile(r"debit")),
    ("amount", re.compile(r"montant|amount")),
    ("date", re.compile(r"date")),
    ("counterparty", re.compile(r"tiers|emetteur|donneur|payeur|contrepartie|nom|counterparty|name")),
    ("remittance", re.compile(r"libelle|motif|communication|detail|remittance|description")),
)


def guess_columns(headers: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for header in headers:
        key = normalized(header)
        for name, pattern in _GUESSES:
            if pattern.search(key) and name not in found:
                found[name] = header
                break
    return found


def read_csv(path: Path, raw: bytes, settings: MatchSettings) -> Statement:
    statement = Statement(path, "csv")
    options = settings.csv
    try:
        text, _ = decode(raw, options.encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        statement.error(1, 1, f"cannot decode the file: {exc}")
        return statement
    first = next((line for line in text.splitlines() if line.strip()), "")
    rows = records(text, options.delimiter or sniff_delimiter(first))
    header = next(rows, None)
    if header is None:
        statement.error(1, 1, "empty file: no header row")
        return statement
    line, cells = header
    headers = [c[0].strip() for c in cells]
    columns = _columns(
        statement, line, headers, {str(k): v for k, v in options.columns.items()} or guess_columns(headers)
    )
    if columns is None:
        return statement
    seen: dict[str, int] = {}
    for line, cells in rows:
        if not any(c[0].strip() for c in cells):
            continue
        _read_row(statement, line, cells, columns, options.decimal, options.date_format, seen)
    return statement


def _columns(statement: Statement, line: int, headers: list[str], mapping: Mapping[str, str]) -> dict[str, int] | None:
    index = {h: i for i, h in enumerate(headers)}
    columns: dict[str, int] = {}
    for name, header in mapping.items():
        if header not in index:
            statement.error(line, 1, f"column '{header}' (match.csv.columns.{name}) is not in the header")
            return None
        columns[name] = index[header]
    if "date" not in columns or not ({"amount", "credit"} & columns.keys()):
        statement.error(line, 1, "the header needs a date and an amount (or credit) column; set match.csv.columns")
        return None
    return columns


def _read_row(
    statement: Statement,
    line: int,
    cells: list[tuple[str, int, int]],
    columns: dict[str, int],
    decimal: str | None,
    date_format: str | None,
    seen: dict[str, int],
) -> None:
    def cell(name: str) -> tuple[str, int, int]:
        at = columns.get(name)
        return cells[at] if at is not None and at < len(cells) else ("", line, 1)

    value, at_line, at_column = cell("credit") if "credit" in columns else cell("amount")
    if not value.strip():
        return  # a debit row (the credit column is empty)
    amount = parse_amount(value, decimal)
    if amount is None:
        statement.error(at_line, at_column, f"amount '{value}' is not a number")
        return
    if amount <= 0 or ("credit" not in columns and cell("debit")[0].strip()):
        return  # a debit: not a payment received
    if amount != amount.quantize(amount.__class__("0.01")):
        statement.error(at_line, at_column, f"amount '{value}' has more than 2 decimals")
        return
    day_text, day_line, day_column = cell("date")
    day = parse_date(day_text, date_format)
    if day is None:
        statement.error(day_line, day_column, f"date '{day_text}' is not a date (dd/mm/yyyy)")
        return
    counterparty, remittance = cell("counterparty")[0].strip(), " ".join(cell("remittance")[0].split())
    ref = cell("ref")[0].strip()
    if not ref:
        key = f"{day.isoformat()}|{amount:.2f}|{counterparty}|{remittance}"
        seen[key] = seen.get(key, 0) + 1
        ref = "csv-" + hashlib.sha256(f"{key}|{seen[key]}".encode()).hexdigest()[:16]
    iban = cell("iban")[0].replace(" ", "").upper()
    statement.entries.append(Entry(statement.file, line, day, amount, "", ref, counterparty, iban, remittance))
