"""`relancegit match` of camt.053 statements: worked examples on a small ledger, through the CLI."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from relancegit.cli import main
from relancegit.matching.match import normalized_name

TODAY = "2026-12-01"
DATA = Path(__file__).parent / "data" / "match"
CAMT_02 = DATA / "camt053-001-02.xml"
CAMT_08 = DATA / "camt053-001-08.xml"

FILES = {
    "clients/dupre.yaml": "id: dupre\nname: Établissements Dupré & Fils SARL\n",
    "clients/bertin.yaml": "id: bertin\nname: Menuiserie Bertin\n",
    "clients/lefort.yaml": "id: lefort\nname: Cabinet Lefort\n",
    "clients/roux.yaml": "id: roux\nname: Imprimerie Roux\n",
    "clients/moreau.yaml": "id: moreau\nname: Moreau Bâtiment SAS\n",
    "cases/2026/2026-0050.yaml": """\
        id: 2026-0050
        client: dupre
        invoices:
          - {number: F2026-0050, date: 2026-10-01, due: 2026-10-31, amount: 1234.56}
        """,
    "cases/2026/2026-0060.yaml": """\
        id: 2026-0060
        client: bertin
        invoices:
          - {number: F2026-0060, date: 2026-10-05, due: 2026-11-04, amount: 800.00}
          - {number: F2026-0061, date: 2026-10-12, due: 2026-11-11, amount: 450.00}
        """,
    "cases/2026/2026-0070.yaml": """\
        id: 2026-0070
        client: lefort
        invoices:
          - {number: F2026-0070, date: 2026-09-15, due: 2026-10-15, amount: 3000.00}
        events:
          - date: 2026-11-01
            type: plan
            installments:
              - {due: 2026-11-15, amount: 1000.00}
              - {due: 2026-12-15, amount: 1000.00}
              - {due: 2027-01-15, amount: 1000.00}
          - {date: 2026-11-14, type: payment, amount: 1000.00, ref: BQ-LEF-1}
        """,
    "cases/2026/2026-0080.yaml": """\
        id: 2026-0080
        client: roux
        invoices:
          - {number: F2026-0080, date: 2026-10-20, due: 2026-11-19, amount: 600.00}
        """,
    "cases/2026/2026-0090.yaml": """\
        id: 2026-0090
        client: moreau
        invoices:
          - {number: F2026-0090, date: 2026-10-22, due: 2026-11-21, amount: 600.00}
        """,
}


def run(root: Path, *args: str) -> Result:
    return CliRunner().invoke(main, ["--ledger", str(root), "--today", TODAY, *args], catch_exceptions=False)


@pytest.fixture
def ledger(make_ledger, monkeypatch):
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)  # no `by:` from the machine's git user
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    return make_ledger(FILES)


def proposals(root: Path, *args: str) -> list[dict[str, object]]:
    done = run(root, "--format", "json", "match", *args)
    assert done.exit_code == 0, done.output
    return json.loads(done.stdout)


def brief(rows: list[dict[str, object]]) -> list[tuple[object, ...]]:
    return [(r["entry"]["ref"], r["entry"]["amount"], r["case"], r["invoice"], r["confidence"]) for r in rows]  # type: ignore[index]


def test_camt_001_02_worked_examples_with_classes_and_reasons(ledger):
    rows = proposals(ledger, str(CAMT_02))

    assert brief(rows) == [
        # exact reference in the unstructured remittance
        ("BQ-20261124-0001", "750.00", "2026-0042", "F2026-0042", "reference"),
        # amount of one open invoice, from a name with accents and legal-form noise
        ("BQ-20261125-0002", "1234.56", "2026-0050", "F2026-0050", "amount+name"),
        # two invoices paid by one transfer (structured creditor reference = the case id)
        ("BQ-20261126-0003-A", "1250.00", "2026-0060", None, "reference"),
        # an instalment of a plan
        ("BQ-20261126-0003-B", "1000.00", "2026-0070", None, "amount+name"),
        # an ambiguous amount left to the human
        ("BQ-20261127-0004", "600.00", None, None, "ambiguous"),
        # the reversal of an earlier credit voids its payment
        ("BQ-20261130-0005", "-750.00", "2026-0042", None, "reference"),
    ]
    assert [r["reason"] for r in rows] == [
        "F2026-0042 in the remittance",
        "1234.56 = invoice F2026-0050, from Établissements Dupré & Fils SARL",
        "2026-0060 in the remittance",
        "1000.00 = plan instalment of case 2026-0070, from Cabinet Lefort",
        "600.00 fits 2 open items (F2026-0080, F2026-0090)",
        "reversal (AC04) of payment VIR SEPA 8812: void event 2 of case 2026-0042",
    ]
    assert rows[0]["entry"] == {
        "date": "2026-11-24",
        "amount": "750.00",
        "counterparty": "ACME INDUSTRIE",
        "iban": "FR7630004000031234567890143",
        "remittance": "Facture F2026-0042 solde",
        "ref": "BQ-20261124-0001",
    }


def test_camt_001_08_batched_entries_structured_remittance_and_reversal(ledger):
    rows = proposals(ledger, str(CAMT_08))

    assert brief(rows) == [
        ("BQ-0101-1", "800.00", "2026-0060", "F2026-0060", "reference"),
        ("BQ-0101-2", "450.00", "2026-0060", "F2026-0061", "reference"),
        ("BQ-0102", "-750.00", "2026-0042", None, "reference"),
    ]
    assert rows[0]["entry"]["date"] == "2026-11-26"  # type: ignore[index]
    assert rows[1]["entry"]["remittance"] == "RF712348231 F2026-0061"  # type: ignore[index]


def test_the_text_table_shows_each_entry_and_what_it_would_record(ledger):
    done = run(ledger, "match", str(CAMT_02))

    assert done.exit_code == 0, done.output
    lines = done.stdout.splitlines()
    header = ["date", "amount", "counterparty", "remittance", "→", "case/invoice", "confidence", "reason"]
    assert lines[0].split() == header
    assert re.split(r"  +", lines[1]) == [
        "2026-11-24",
        "750.00",
        "ACME INDUSTRIE",
        "Facture F2026-0042 solde",
        "2026-0042/F2026-0042",
        "reference",
        "F2026-0042 in the remittance",
    ]
    assert lines[1].index("750.00") == lines[0].index("amount")  # right-aligned
    assert lines[-3:] == [
        "6 entries: 3 reference, 2 amount+name, 1 ambiguous",
        "1 left for a human (amount, ambiguous): record them with 'relancegit record'",
        "--apply would record 5 of them (reference, amount+name)",
    ]


def test_amount_and_name_on_the_sum_of_a_case_and_amount_only_when_the_name_differs(make_ledger, tmp_path):
    root = make_ledger(FILES)
    statement = camt(
        tmp_path,
        credit("R1", "1250.00", "MENUISERIE BERTIN S.A.S.", "VIREMENT"),
        credit("R2", "1234.56", "SCI LES PINS", "LOYER"),
        credit("R3", "99.99", "CABINET LEFORT", "ACOMPTE"),
    )

    rows = proposals(root, str(statement))

    assert brief(rows) == [
        ("R1", "1250.00", "2026-0060", None, "amount+name"),
        ("R2", "1234.56", "2026-0050", "F2026-0050", "amount"),
        ("R3", "99.99", None, None, "none"),
    ]
    assert rows[0]["reason"] == "1250.00 = the open invoices of case 2026-0060, from Menuiserie Bertin"
    assert rows[1]["reason"] == (
        "1234.56 = invoice F2026-0050 of Établissements Dupré & Fils SARL; the name does not confirm it"
    )
    assert rows[2]["reason"] == "no open amount of 99.99 for Cabinet Lefort"


def test_names_are_compared_without_accents_case_or_legal_forms():
    assert normalized_name("Établissements Dupré & Fils SARL") == "dupre fils"
    assert normalized_name("ETS DUPRE ET FILS") == "dupre fils"
    assert normalized_name("Moreau Bâtiment S.A.S.") == "moreau batiment"


def test_apply_records_confident_payments_and_the_void_then_a_second_run_records_nothing(ledger):
    done = run(ledger, "match", "--apply", str(CAMT_02))

    assert done.exit_code == 0, done.output
    assert done.stdout.splitlines()[-1] == "recorded 4 payments and 1 void in 4 case files"
    case = (ledger / "cases" / "2026" / "2026-0042.yaml").read_text(encoding="utf-8")
    assert case.endswith(
        '  - {date: 2026-10-16, type: payment, amount: 750, ref: "VIR SEPA 8812"}\n'
        "  - {date: 2026-11-24, type: payment, amount: 750.00, invoice: F2026-0042, ref: BQ-20261124-0001}\n"
        "  - {date: 2026-11-30, type: void, event: 2, reason: 'reversed by the bank, entry BQ-20261130-0005: AC04'}\n"
    )
    plan = (ledger / "cases" / "2026" / "2026-0070.yaml").read_text(encoding="utf-8")
    assert plan.endswith("  - {date: 2026-11-26, type: payment, amount: 1000.00, ref: BQ-20261126-0003-B}\n")
    for untouched in ("2026-0080", "2026-0090"):
        assert "events" not in (ledger / "cases" / "2026" / f"{untouched}.yaml").read_text(encoding="utf-8")
    assert run(ledger, "check").exit_code == 0

    again = run(ledger, "--format", "json", "match", "--apply", str(CAMT_02))

    assert again.exit_code == 0, again.output
    rows = json.loads(again.stdout)
    assert [r["confidence"] for r in rows] == ["none", "none", "none", "none", "ambiguous", "none"]
    assert rows[0]["reason"] == "already recorded: payment ref BQ-20261124-0001 in case 2026-0042"
    assert rows[5]["reason"] == "reversal (AC04): payment VIR SEPA 8812 in case 2026-0042 is voided already"


def credit(ref: str, amount: str, name: str, text: str) -> str:
    return f"""
      <Ntry>
        <Amt Ccy="EUR">{amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>
        <BookgDt><Dt>2026-11-28</Dt></BookgDt><AcctSvcrRef>{ref}</AcctSvcrRef>
        <NtryDtls><TxDtls>
          <RltdPties><Dbtr><Nm>{name}</Nm></Dbtr></RltdPties><RmtInf><Ustrd>{text}</Ustrd></RmtInf>
        </TxDtls></NtryDtls>
      </Ntry>"""


def camt(folder: Path, *entries: str, name: str = "releve.xml") -> Path:
    path = folder / name
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>\n'
        "<GrpHdr><MsgId>T</MsgId><CreDtTm>2026-12-01T06:00:00</CreDtTm></GrpHdr>\n"
        "<Stmt><Id>T1</Id><Acct><Id><IBAN>FR7610278073400002041980137</IBAN></Id><Ccy>EUR</Ccy></Acct>"
        + "".join(entries)
        + "\n</Stmt></BkToCstmrStmt></Document>\n",
        encoding="utf-8",
    )
    return path


@pytest.fixture
def git(ledger, monkeypatch):
    for name, value in {
        "GIT_AUTHOR_NAME": "Claire Martin",
        "GIT_AUTHOR_EMAIL": "claire@example.com",
        "GIT_COMMITTER_NAME": "Claire Martin",
        "GIT_COMMITTER_EMAIL": "claire@example.com",
    }.items():
        monkeypatch.setenv(name, value)
    top = ledger.parent

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=top, check=True, capture_output=True, text=True).stdout

    git("init", "-q", "-b", "main")
    git("add", "ledger")
    git("commit", "-qm", "ledger")
    return git


def test_apply_commit_makes_one_commit_naming_the_statement_and_its_sha256(ledger, git):
    done = run(ledger, "match", "--apply", "--commit", str(CAMT_02))

    assert done.exit_code == 0, done.output
    head = git("rev-parse", "--short", "HEAD").strip()
    assert done.stdout.splitlines()[-1] == f"recorded 4 payments and 1 void in 4 case files, committed {head}"
    digest = hashlib.sha256(CAMT_02.read_bytes()).hexdigest()
    assert git("log", "-1", "--format=%B") == (
        "match: 4 payments, 1 void from camt053-001-02.xml\n\n"
        f"Relancegit-Statement: camt053-001-02.xml sha256:{digest}\n\n"
    )
    assert sorted(git("show", "--name-only", "--format=", "HEAD").split()) == [
        "ledger/cases/2026/2026-0042.yaml",
        "ledger/cases/2026/2026-0050.yaml",
        "ledger/cases/2026/2026-0060.yaml",
        "ledger/cases/2026/2026-0070.yaml",
    ]
    assert git("status", "--porcelain", "ledger") == ""
    assert run(ledger, "audit").exit_code == 0


def test_nothing_is_recorded_when_one_case_would_become_invalid(ledger, tmp_path):
    before = {p: p.read_bytes() for p in ledger.rglob("*.yaml")}
    # An event dated before the case's last one: the case file would be out of date order.
    statement = camt(
        tmp_path, credit("R1", "1234.56", "ETS DUPRE", "F2026-0050"), credit("R2", "600.00", "X", "F2026-0080")
    )
    text = statement.read_text(encoding="utf-8").replace("2026-11-28", "2026-10-01", 1)
    statement.write_text(text, encoding="utf-8")
    (ledger / "cases" / "2026" / "2026-0050.yaml").write_text(
        (ledger / "cases" / "2026" / "2026-0050.yaml").read_text(encoding="utf-8")
        + "events:\n  - {date: 2026-11-02, type: reminder, step: reminder-1}\n",
        encoding="utf-8",
    )
    before = {p: p.read_bytes() for p in ledger.rglob("*.yaml")}

    done = run(ledger, "match", "--apply", str(statement))

    assert done.exit_code == 1
    assert "2026-0050.yaml" in done.stderr and "error" in done.stderr
    assert done.stdout.splitlines()[-1] == "nothing recorded"
    assert {p: p.read_bytes() for p in ledger.rglob("*.yaml")} == before


def test_a_doctype_is_refused_with_a_located_error(ledger, tmp_path):
    bomb = tmp_path / "bomb.xml"
    bomb.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE lol [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>\n'
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">&lol2;</Document>\n',
        encoding="utf-8",
    )
    external = tmp_path / "xxe.xml"
    external.write_text(
        '<?xml version="1.0"?>\n<!-- camt.053 -->\n<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">&x;</Document>\n',
        encoding="utf-8",
    )

    done = run(ledger, "match", "--from", "camt053", str(bomb), str(external))

    assert done.exit_code == 1
    assert done.stderr.splitlines() == [
        f"{bomb}:2:1: error: refused: a DOCTYPE (entity definitions can expand without bound); "
        "a bank statement has none",
        f"{external}:3:1: error: refused: an external entity; a bank statement has none",
    ]


def test_usage_errors_exit_2(ledger):
    assert run(ledger, "match").exit_code == 2
    done = run(ledger, "match", "--commit", str(CAMT_02))
    assert done.exit_code == 2
    assert "--commit commits what --apply records: give both" in done.stderr


def test_the_cached_index_follows_every_change_of_the_ledger(ledger, monkeypatch):
    monkeypatch.delenv("RELANCEGIT_NO_CACHE", raising=False)
    first = proposals(ledger, str(CAMT_02))
    assert (first[1]["case"], first[1]["confidence"]) == ("2026-0050", "amount+name")
    cached = [p.name for p in (ledger.parent / ".relancegit-cache").iterdir()]
    assert any(name.startswith("result-match-index") for name in cached), cached
    assert proposals(ledger, str(CAMT_02)) == first  # from the cache: the same
    case = ledger / "cases" / "2026" / "2026-0050.yaml"
    case.write_text(
        case.read_text(encoding="utf-8") + "events:\n  - {date: 2026-11-20, type: payment, amount: 34.56}\n",
        encoding="utf-8",
    )

    after = proposals(ledger, str(CAMT_02))

    assert (after[1]["case"], after[1]["confidence"], after[1]["reason"]) == (
        None,
        "none",
        "no open amount of 1234.56 for Établissements Dupré & Fils SARL",
    )
    monkeypatch.setenv("RELANCEGIT_NO_CACHE", "1")
    assert proposals(ledger, str(CAMT_02)) == after
