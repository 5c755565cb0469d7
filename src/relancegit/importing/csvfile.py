"""Read a CSV export of open invoices (`relancegit import --from csv`).

Layer: bytes -> `Source`. French conventions are understood: `;` or `,` (or tab, `|`)
delimiter, decimal comma, `dd/mm/yyyy` dates, UTF-8 with or without BOM, or Windows-1252
(detected). The columns come from `import.csv.columns` in relancegit.yaml, else are guessed
from the header (`guess_columns`, also `relancegit import --guess FILE`). Every bad cell is
reported at its line and column; nothing here knows the ledger.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Mapping
from datetime import timedelta
from pathlib import Path

from relancegit.importing.source import Buyer, Source, SourceInvoice, parse_amount, parse_date
from relancegit.model import ImportSettings

REQUIRED = ("number", "date", "amount", "client")
_DELIMITERS = (";", ",", "\t", "|")

# Header -> field, tried in order on the header lowercased, without accents or punctuation.
_GUESSES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern))
    for name, pattern in (
        ("", r"(client|customer).*(code|num|id\b|ref)|^(code|num\w*|n|no) (client|customer)"),
        ("due", r"echeance|\bdue\b|exigib"),
        ("siren", r"\bsiren|\bsiret"),
        ("vat", r"(tva|vat).*(intra|num|number|\bid\b)|^(n|no|num\w*) (tva|vat)|^(tva|vat)( intra\w*)?$"),
        ("net", r"\bht\b|hors tax|\bnet\b|excl"),
        ("amount", r"\bttc\b|montant|amount|total|incl"),
        ("email", r"mail|courriel"),
        ("address", r"adresse|address"),
        ("type", r"^type"),
        ("number", r"^(n|no|num|numero|number)\b|number|\bref|piece|^facture$|^invoice$"),
        ("date", r"\bdate\b"),
        ("client", r"client|customer|raison sociale|debiteur|\bnom\b|\bname\b|societe|company"),
    )
)


def normalized(header: str) -> str:
    text = unicodedata.normalize("NFKD", header.lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


def guess_columns(headers: list[str]) -> dict[str, str]:
    """A proposed `import.csv.columns` mapping (field -> header) from a header row."""
    found: dict[str, str] = {}
    for header in headers:
        key = normalized(header)
        for name, pattern in _GUESSES:
            if pattern.search(key):
                if name and name not in found:
                    found[name] = header
                break
    return found


def decode(raw: bytes, encoding: str | None = None) -> tuple[str, str]:
    """The text of an export and the encoding it was read with (BOM, UTF-8, else detected)."""
    if encoding:
        return raw.decode(encoding), encoding
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8"), "utf-8-sig"
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:  # what French spreadsheets write when not UTF-8
        return raw.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(raw).best()
    name = best.encoding if best is not None else "latin-1"
    return raw.decode(name, errors="replace"), name


def sniff_delimiter(line: str) -> str:
    counts = {d: _outside_quotes(line).count(d) for d in _DELIMITERS}
    best = max(_DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ";"


def _outside_quotes(line: str) -> str:
    return re.sub(r'"[^"]*"', "", line)


Cell = tuple[str, int, int]  # value, line, column (1-based)


def records(text: str, delimiter: str) -> Iterator[tuple[int, list[Cell]]]:
    """Each record with its first line and each field with its line and column (quotes,
    doubled quotes and line breaks inside quotes understood)."""
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        start = index
        cells: list[Cell] = []
        value: list[str] = []
        line_no, column = index + 1, 1
        cell_line, cell_col = line_no, 1
        quoted = False
        line = lines[index]
        position = 0
        while True:
            if position >= len(line):
                if quoted and index + 1 < len(lines):  # a line break inside quotes
                    value.append("\n")
                    index += 1
                    line, position = lines[index], 0
                    continue
                cells.append(("".join(value), cell_line, cell_col))
                break
            char = line[position]
            column = position + 1
            if quoted:
                if char == '"':
                    if position + 1 < len(line) and line[position + 1] == '"':
                        value.append('"')
                        position += 1
                    else:
                        quoted = False
                else:
                    value.append(char)
            elif char == '"' and not "".join(value).strip():
                quoted, value = True, []
            elif char == delimiter:
                cells.append(("".join(value), cell_line, cell_col))
                value, cell_line, cell_col = [], index + 1, column + 1
            else:
                value.append(char)
            position += 1
        index += 1
        if any(v.strip() for v, _, _ in cells):
            yield start + 1, cells


def read_csv(path: Path, raw: bytes, settings: ImportSettings) -> Source:
    source = Source(path, "csv")
    options = settings.csv
    try:
        text, encoding = decode(raw, options.encoding)
    except (LookupError, UnicodeDecodeError) as exc:
        source.error(1, 1, f"cannot read the file as {options.encoding}: {exc}")
        return source
    if encoding not in ("utf-8", "utf-8-sig"):
        source.notes.append(f"{path.name}: read as {encoding}")
    rows = records(text, options.delimiter or sniff_delimiter(_first(text)))
    header_row = next(rows, None)
    if header_row is None:
        source.error(1, 1, "empty file: expected a header row, then one row per open invoice")
        return source
    header_line, header_cells = header_row
    headers = [v.strip() for v, _, _ in header_cells]
    columns = _columns(source, header_line, headers, {str(k): v for k, v in options.columns.items()})
    if columns is None:
        return source
    for line, cells in rows:
        _read_row(source, line, cells, columns, settings)
    return source


def _first(text: str) -> str:
    return next((line for line in text.splitlines() if line.strip()), "")


def _columns(source: Source, line: int, headers: list[str], mapping: Mapping[str, str]) -> dict[str, int] | None:
    """field -> index of its column, or None after reporting what is missing."""
    by_name = {h: i for i, h in reversed(list(enumerate(headers)))}
    by_lower = {h.casefold(): i for i, h in reversed(list(enumerate(headers)))}
    given = dict(mapping)
    if not given:
        given = guess_columns(headers)
        source.notes.append(
            f"{source.file.name}: columns guessed from the header ("
            + ", ".join(f"{k}: {v!r}" for k, v in given.items())
            + "); set import.csv.columns in relancegit.yaml to choose them"
        )
    columns: dict[str, int] = {}
    for name, header in given.items():
        index = by_name.get(header.strip(), by_lower.get(header.strip().casefold()))
        if index is None:
            source.error(
                line, 1, f"column {header!r} (import.csv.columns.{name}) is not in the header: {', '.join(headers)}"
            )
        else:
            columns[name] = index
    missing = [name for name in REQUIRED if name not in given]
    if missing:
        source.error(
            line,
            1,
            f"no column for {', '.join(missing)}: name them in import.csv.columns of relancegit.yaml "
            "(`relancegit import --guess FILE` proposes a mapping)",
        )
    return None if source.problems else columns


def _read_row(
    source: Source, line: int, cells: list[Cell], columns: Mapping[str, int], settings: ImportSettings
) -> None:
    options = settings.csv
    before = len(source.problems)

    def cell(name: str) -> Cell | None:
        index = columns.get(name)
        if index is None:
            return None
        if index >= len(cells):
            last = cells[-1]
            return ("", last[1], last[2] + len(last[0]) + 1)
        value, cell_line, column = cells[index]
        return (value.strip(), cell_line, column)

    def text(name: str) -> str | None:
        found = cell(name)
        return found[0] or None if found else None

    def required(name: str) -> Cell | None:
        found = cell(name)
        if found is None or not found[0]:
            where = found or (line, 1, 1)
            source.error(where[1], where[2], f"empty {name}: every open invoice needs one")
            return None
        return found

    number = required("number")
    client = required("client")
    day = due = None
    found = required("date")
    if found:
        day = parse_date(found[0], options.date_format)
        if day is None:
            source.error(found[1], found[2], f"date {found[0]!r}: expected dd/mm/yyyy or yyyy-mm-dd")
    due_note = None
    found = cell("due")
    if found and found[0]:
        due = parse_date(found[0], options.date_format)
        if due is None:
            source.error(found[1], found[2], f"due date {found[0]!r}: expected dd/mm/yyyy or yyyy-mm-dd")
    elif day is not None:
        due = day + timedelta(days=settings.default_terms_days)
        due_note = f"no due date: {settings.default_terms_days} days after the invoice date (import.default_terms_days)"
    amount = net = None
    found = required("amount")
    if found:
        amount = parse_amount(found[0], options.decimal)
        if amount is None:
            source.error(found[1], found[2], f"amount {found[0]!r} is not a number (e.g. 1 234,56)")
        elif amount <= 0:
            source.error(found[1], found[2], f"amount {found[0]!r}: an open invoice's amount is greater than 0")
    found = cell("net")
    if found and found[0]:
        net = parse_amount(found[0], options.decimal)
        if net is None or net <= 0:
            source.error(found[1], found[2], f"net amount {found[0]!r} is not a number greater than 0")
    kind = text("type")
    found = cell("type")
    if kind is not None and found is not None:
        kind = _debtor_type(kind)
        if kind is None:
            source.error(
                found[1], found[2], f"type {found[0]!r}: expected business/professionnel or consumer/particulier"
            )
    if len(source.problems) > before or number is None or client is None or day is None or due is None:
        return
    if amount is None:
        return
    address = tuple(part.strip() for part in re.split(r"\n|\s*/\s*|\s*\|\s*", text("address") or "") if part.strip())
    buyer = Buyer(
        name=" ".join(client[0].split()),
        siren=_siren(text("siren")),
        vat=(text("vat") or "").replace(" ", "").upper() or None,
        email=text("email"),
        address=address,
        type=kind,
    )
    source.invoices.append(
        SourceInvoice(number[0], day, due, amount, buyer, source.file, number[1], number[2], net, due_note=due_note)
    )


def _siren(value: str | None) -> str | None:
    digits = re.sub(r"\s", "", value or "")
    return digits[:9] if len(digits) == 14 and digits.isdigit() else digits or None  # a SIRET starts with the SIREN


def _debtor_type(value: str) -> str | None:
    key = normalized(value)
    if key in ("business", "b2b", "professionnel", "pro", "entreprise", "societe"):
        return "business"
    if key in ("consumer", "b2c", "particulier", "consommateur"):
        return "consumer"
    return None
