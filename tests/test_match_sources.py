"""`relancegit match` of OFX 2 and French bank CSV statements, and refused inputs."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from conftest import CONFIG
from test_match import FILES, brief, run

DATA = Path(__file__).parent / "data" / "match"


@pytest.fixture
def ledger(make_ledger, monkeypatch):
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    return make_ledger(FILES)


def matched(root: Path, *args: str) -> list[tuple[object, ...]]:
    done = run(root, "--format", "json", "match", *args)
    assert done.exit_code == 0, done.output
    return brief(json.loads(done.stdout))


def test_an_ofx_2_statement_is_detected_and_its_credits_matched(ledger):
    assert matched(ledger, str(DATA / "statement.ofx")) == [
        ("OFX-20261124-01", "750.00", "2026-0042", "F2026-0042", "reference"),
        ("OFX-20261126-03", "1234.56", "2026-0050", "F2026-0050", "amount+name"),
    ]


def test_a_french_bank_csv_in_windows_1252_with_debit_and_credit_columns(ledger):
    rows = matched(ledger, str(DATA / "releve.csv"))

    assert [r[1:] for r in rows] == [
        ("750.00", "2026-0042", "F2026-0042", "reference"),
        ("1234.56", "2026-0050", "F2026-0050", "amount+name"),
        ("600.00", None, None, "ambiguous"),
    ]
    assert all(str(r[0]).startswith("csv-") for r in rows)  # no bank reference column: one is made


def test_a_csv_recorded_once_is_skipped_the_second_time(ledger):
    first = run(ledger, "match", "--apply", str(DATA / "releve.csv"))
    assert first.exit_code == 0, first.output
    assert first.stdout.splitlines()[-1] == "recorded 2 payments in 2 case files"

    again = run(ledger, "match", "--apply", str(DATA / "releve.csv"))

    assert again.exit_code == 0, again.output
    assert again.stdout.splitlines()[-3:] == [
        "3 entries: 1 ambiguous, 2 recorded already",
        "1 left for a human (amount, ambiguous): record them with 'relancegit record'",
        "nothing recorded",
    ]


def test_a_csv_read_with_the_mapping_of_relancegit_yaml(make_ledger, tmp_path):
    config = CONFIG + (
        "match:\n"
        "  csv:\n"
        "    columns: {date: Booked, amount: Amount, counterparty: Payer, remittance: Text, ref: Id, iban: Account}\n"
        '    delimiter: ","\n'
        '    decimal: "."\n'
        '    date_format: "%Y-%m-%d"\n'
    )
    root = make_ledger({**FILES, "relancegit.yaml": config})
    statement = tmp_path / "export.csv"
    statement.write_text(
        "Id,Booked,Payer,Account,Text,Amount\n"
        "B-1,2026-11-24,Acme Industrie,FR76 3000 4000 0312 3456 7890 143,F2026-0042,750.00\n"
        "B-2,2026-11-25,Supplier,,refund,-20.00\n",
        encoding="utf-8",
    )

    done = run(root, "--format", "json", "match", "--from", "csv", str(statement))

    assert done.exit_code == 0, done.output
    [row] = json.loads(done.stdout)
    assert row["entry"] == {
        "date": "2026-11-24",
        "amount": "750.00",
        "counterparty": "Acme Industrie",
        "iban": "FR7630004000031234567890143",
        "remittance": "F2026-0042",
        "ref": "B-1",
    }
    assert (row["case"], row["invoice"], row["confidence"]) == ("2026-0042", "F2026-0042", "reference")


def test_bad_csv_cells_are_reported_at_their_line_and_column(ledger, tmp_path):
    statement = tmp_path / "releve.csv"
    statement.write_text(
        "Date;Libellé;Crédit\n24/11/2026;VIR A;12,3x\n31/02/2026;VIR B;10,00\n25/11/2026;VIR C;5,00\n", encoding="utf-8"
    )

    done = run(ledger, "match", str(statement))

    assert done.exit_code == 1
    assert done.stderr.splitlines() == [
        f"{statement}:2:18: error: amount '12,3x' is not a number",
        f"{statement}:3:1: error: date '31/02/2026' is not a date (dd/mm/yyyy)",
    ]


def test_a_csv_mapping_naming_a_missing_column_is_reported_on_the_header(make_ledger, tmp_path):
    config = CONFIG + "match:\n  csv:\n    columns: {date: Date, amount: Montant}\n"
    root = make_ledger({**FILES, "relancegit.yaml": config})
    statement = tmp_path / "releve.csv"
    statement.write_text("Date;Crédit\n24/11/2026;10,00\n", encoding="utf-8")

    done = run(root, "match", str(statement))

    assert done.exit_code == 1
    assert done.stderr == f"{statement}:1:1: error: column 'Montant' (match.csv.columns.amount) is not in the header\n"


def test_an_ofx_amount_with_more_than_2_decimals_is_located_and_not_matched(ledger, tmp_path):
    bad = tmp_path / "bad.ofx"
    bad.write_text(
        (DATA / "statement.ofx").read_text(encoding="utf-8").replace("<TRNAMT>750.00<", "<TRNAMT>750.005<"),
        encoding="utf-8",
    )

    done = run(ledger, "--format", "json", "match", str(bad))

    assert done.exit_code == 1
    assert done.stderr == f"{bad}:30:1: error: amount '750.005' must be positive with at most 2 decimals\n"
    assert [row["entry"]["ref"] for row in json.loads(done.stdout)] == ["OFX-20261126-03"]


def test_an_ofx_with_a_doctype_is_refused_with_a_located_error(ledger, tmp_path):
    text = (DATA / "statement.ofx").read_text(encoding="utf-8")
    bad = tmp_path / "bad.ofx"
    bad.write_text(
        text.replace("<OFX>\n", '<!DOCTYPE OFX [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<OFX>&x;\n'),
        encoding="utf-8",
    )

    done = run(ledger, "match", str(bad))

    assert done.exit_code == 1
    assert done.stderr == f"{bad}:3:1: error: refused: an external entity; a bank statement has none\n"


def test_xml_that_is_not_a_camt_053_or_not_well_formed_is_located(ledger, tmp_path):
    other = tmp_path / "camt054.xml"
    other.write_text(
        '<?xml version="1.0"?>\n<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.02"/>\n', encoding="utf-8"
    )
    broken = tmp_path / "broken.xml"
    broken.write_text(
        '<?xml version="1.0"?>\n<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">\n'
        "<Ntry>\n</Document>\n",
        encoding="utf-8",
    )

    done = run(ledger, "match", "--from", "camt053", str(other), str(broken))

    assert done.exit_code == 1
    lines = done.stderr.splitlines()
    assert lines[0] == (
        f"{other}:2:1: error: not a camt.053 statement (001.02 to 001.08): "
        "root Document in 'urn:iso:std:iso:20022:tech:xsd:camt.054.001.02'"
    )
    assert lines[1] == (
        f"{broken}:4:13: error: not well-formed XML: "
        "Opening and ending tag mismatch: Ntry line 3 and Document, line 4, column 12"
    )
