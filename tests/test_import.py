"""`relancegit import` of CSV exports: worked examples on small ledgers, through the CLI."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from relancegit.cli import main
from relancegit.importing.csvfile import guess_columns
from relancegit.importing.source import parse_amount, parse_date
from relancegit.read.yamlsafe import parse_yaml

TODAY = "2026-12-01"

# An export as a French invoicing program writes it: `;`, decimal commas, dd/mm/yyyy.
CSV_FR = (
    "N° facture;Date;Échéance;Montant TTC;Montant HT;Client;SIREN;TVA intracom;E-mail\n"
    "F2026-0101;15/09/2026;15/10/2026;1 200,00;1 000,00;Société Générale d'Études SAS;358 813 996;FR20358813996;"
    "compta@sge.example\n"
    "F2026-0102;01/10/2026;31/10/2026;2 400,50;2 000,42;Boulangerie Dupré;;;\n"
    "F2026-0103;05/10/2026;04/11/2026;360,00;300,00;Société Générale d'Études SAS;358813996;;\n"
)


def run(root: Path, *args: str) -> Result:
    return CliRunner().invoke(main, ["--ledger", str(root), "--today", TODAY, *args], catch_exceptions=False)


def files_of(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*.yaml"))}


@pytest.fixture
def ledger(make_ledger):
    return make_ledger()


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(textwrap.dedent(text).encode(encoding))
    return path


def test_a_windows_1252_export_with_semicolons_and_decimal_commas(ledger, tmp_path):
    source = write(tmp_path, "factures.csv", CSV_FR, encoding="cp1252")
    before = files_of(ledger)

    done = run(ledger, "import", str(source))

    assert done.exit_code == 0, done.output
    assert "note: factures.csv: read as cp1252" in done.stdout
    assert "3 cases and 2 clients created, 0 already in the ledger, 0 conflicts" in done.stdout
    client = (ledger / "clients" / "societe-generale-d-etudes.yaml").read_text(encoding="utf-8")
    assert client == textwrap.dedent("""\
        # Created by relancegit import from factures.csv.
        id: societe-generale-d-etudes
        name: Société Générale d'Études SAS
        type: business
        siren: "358813996"
        vat: FR20358813996
        contacts:
          - {name: Société Générale d'Études SAS, email: compta@sge.example}
    """)
    case = (ledger / "cases" / "2026" / "f2026-0102.yaml").read_text(encoding="utf-8")
    assert case == textwrap.dedent("""\
        # Imported by relancegit import from factures.csv.
        id: f2026-0102
        client: boulangerie-dupre
        invoices:
          - number: F2026-0102
            date: 2026-10-01
            due: 2026-10-31
            amount: 2400.50
            net: 2000.42
    """)
    check = run(ledger, "check")
    assert check.exit_code == 0, check.output
    assert "ok: 4 cases, 3 clients" in check.stdout
    shown = json.loads(run(ledger, "--format", "json", "show", "F2026-0102").stdout)
    assert (shown["total"], shown["balance"], shown["due"]) == ("2400.50", "2400.50", "2026-10-31")
    # Idempotent: the same file again changes nothing and says why.
    after = files_of(ledger)
    assert set(after) - set(before) == {
        "clients/boulangerie-dupre.yaml",
        "clients/societe-generale-d-etudes.yaml",
        "cases/2026/f2026-0101.yaml",
        "cases/2026/f2026-0102.yaml",
        "cases/2026/f2026-0103.yaml",
    }
    again = run(ledger, "import", str(source))
    assert again.exit_code == 0
    assert "skipped F2026-0101: already in case f2026-0101" in again.stdout
    assert "0 cases and 0 clients to create, 3 already in the ledger, 0 conflicts: nothing to do" in again.stdout
    assert files_of(ledger) == after


def test_an_old_debt_starts_at_the_step_its_age_reached_never_a_formal_notice(ledger, tmp_path):
    text = "Facture;Date;Échéance;Montant;Client\nF2025-0007;02/01/2025;01/02/2025;840,00;Vieux Client\n"
    source = write(tmp_path, "old.csv", text)
    assert run(ledger, "import", str(source)).exit_code == 0
    (action,) = [a for a in json.loads(run(ledger, "--format", "json", "next").stdout) if a["case"] == "f2025-0007"]
    assert (action["kind"], action["step"], action["channel"]) == ("step", "letter", "letter")


def test_utf8_with_bom_commas_and_a_mapping_from_the_config(make_ledger, tmp_path):
    config = """\
        creditor: {name: Atelier Dupré SARL, address: [12 rue des Tanneurs, 69007 Lyon]}
        rates:
          - {period: 2026-H2, ecb: 2.15, legal_other: 2.62, legal_private: 6.67}
        import:
          csv:
            columns: {number: Ref, date: Emise le, due: Payable le, amount: Total, client: Customer, type: Kind}
            date_format: "%Y-%m-%d"
    """
    ledger = make_ledger({"relancegit.yaml": config})
    text = (
        "Ref,Emise le,Payable le,Total,Customer,Kind\n"
        'INV-9,2026-11-02,2026-12-02,"1,234.50","Martin, Paul",particulier\n'
    )
    source = tmp_path / "export.csv"
    source.write_bytes(b"\xef\xbb\xbf" + text.encode())

    done = run(ledger, "import", str(source))

    assert done.exit_code == 0, done.output
    client = parse_yaml((ledger / "clients" / "martin-paul.yaml").read_bytes())
    assert (client["name"], client["type"]) == ("Martin, Paul", "consumer")
    case = parse_yaml((ledger / "cases" / "2026" / "inv-9.yaml").read_bytes())
    assert case["invoices"] == [{"number": "INV-9", "date": parse_date("2026-11-02"), "due": parse_date("2026-12-02"),
                                 "amount": parse_amount("1234.50")}]  # fmt: skip
    assert "columns guessed" not in done.stdout


def test_every_bad_cell_is_reported_at_its_line_and_column_and_nothing_is_written(ledger, tmp_path):
    source = write(
        tmp_path,
        "bad.csv",
        """\
        N° facture;Date;Échéance;Montant TTC;Client
        F1;31/02/2026;15/10/2026;100,00;Alpha
        F2;01/10/2026;31/10/2026;douze;Beta
        F3;01/10/2026;31/10/2026;50,00;
        F4;01/10/2026;31/10/2026;75,00;Gamma
        """,
    )
    before = files_of(ledger)

    done = run(ledger, "import", str(source))

    assert done.exit_code == 1
    errors = [line for line in done.stderr.splitlines() if ": error: " in line]
    assert [e.split(": error: ")[0].rsplit(":", 2)[1:] for e in errors] == [["2", "4"], ["3", "26"], ["4", "32"]]
    assert "date '31/02/2026': expected dd/mm/yyyy or yyyy-mm-dd" in errors[0]
    assert "amount 'douze' is not a number (e.g. 1 234,56)" in errors[1]
    assert "empty client: every open invoice needs one" in errors[2]
    assert "3 errors: nothing written" in done.stdout
    assert files_of(ledger) == before

    kept = run(ledger, "import", "--skip-errors", str(source))
    assert kept.exit_code == 0
    assert set(files_of(ledger)) - set(before) == {"clients/gamma.yaml", "cases/2026/f4.yaml"}
    assert "3 errors left out (--skip-errors)" in kept.stdout


def test_an_invoice_the_file_would_make_invalid_is_reported_at_its_row(ledger, tmp_path):
    # A SIREN that fails its check digit: the client file would not pass `check`.
    source = write(tmp_path, "f.csv", "Facture;Date;Montant;Client;SIREN\nF7;01/10/2026;10,00;Delta;123456788\n")
    done = run(ledger, "import", str(source))
    assert done.exit_code == 1
    message = "error: invoice F7: the client file delta.yaml it makes: invalid SIREN '123456788'"
    assert f"{source}:2:1: {message}" in done.stderr
    assert not (ledger / "clients" / "delta.yaml").exists()


def test_a_number_already_in_the_ledger_with_another_amount_is_a_conflict_never_overwritten(ledger, tmp_path):
    case = ledger / "cases" / "2026" / "2026-0042.yaml"
    before = case.read_bytes()
    text = "Facture;Date;Échéance;Montant;Client\nF2026-0042;01/09/2026;01/10/2026;1 600,00;ACME\n"
    source = write(tmp_path, "f.csv", text)
    done = run(ledger, "--format", "json", "import", str(source))
    assert done.exit_code == 0
    out = json.loads(done.stdout)
    assert out["conflicts"] == [
        {"invoice": "F2026-0042", "case": "2026-0042", "amount": "1600.00", "ledger_amount": "1500.00",
         "file": str(source), "line": 2}
    ]  # fmt: skip
    assert out["cases"] == [] and out["skipped"] == []
    assert case.read_bytes() == before


def test_clients_are_matched_by_siren_then_vat_then_exact_name(make_ledger, tmp_path):
    ledger = make_ledger(
        {
            "clients/nexa.yaml": 'id: nexa\nname: Nexa Informatique\nsiren: "358813996"\n',
            "clients/roux.yaml": "id: roux\nname: Imprimerie Roux\nvat: FR61403483415\n",
        }
    )
    source = write(
        tmp_path,
        "f.csv",
        """\
        Facture;Date;Montant;Client;SIREN;TVA
        A1;01/11/2026;10,00;NEXA INFO (nouveau nom);358813996;
        A2;01/11/2026;20,00;Roux SA;;FR61403483415
        A3;01/11/2026;30,00;acme  industrie sas;;
        A4;01/11/2026;40,00;Nouvelle Société;;
        """,
    )
    out = json.loads(run(ledger, "--format", "json", "import", str(source)).stdout)
    expected = {"a1": "nexa", "a2": "roux", "a3": "acme", "a4": "nouvelle-societe"}
    assert {c["id"]: c["client"] for c in out["cases"]} == expected
    assert [c["id"] for c in out["clients"]] == ["nouvelle-societe"]
    assert out["matched"] == {"A1": "nexa", "A2": "roux", "A3": "acme"}
    # No due column: the default terms, said in the output.
    assert out["cases"][0]["invoices"][0]["due"] == "2026-12-01"
    assert out["cases"][0]["invoices"][0]["due_from"].startswith("no due date: 30 days after the invoice date")


def test_group_by_client_makes_one_case_per_client(make_ledger, tmp_path):
    from tests.conftest import CONFIG

    ledger = make_ledger({"relancegit.yaml": CONFIG + "import: {group_by_client: true, default_terms_days: 45}\n"})
    text = "Facture;Date;Montant;Client\nB1;01/11/2026;10,00;Zeta\nB2;03/11/2026;20,00;Zeta\n"
    source = write(tmp_path, "f.csv", text)
    assert run(ledger, "import", str(source)).exit_code == 0
    case = parse_yaml((ledger / "cases" / "2026" / "zeta-2026.yaml").read_bytes())
    assert [(i["number"], str(i["due"])) for i in case["invoices"]] == [("B1", "2026-12-16"), ("B2", "2026-12-18")]
    assert run(ledger, "check").exit_code == 0


def test_dry_run_writes_nothing(ledger, tmp_path):
    source = write(tmp_path, "f.csv", CSV_FR)
    before = files_of(ledger)
    done = run(ledger, "import", "--dry-run", str(source))
    assert done.exit_code == 0
    assert "would create case f2026-0101 for societe-generale-d-etudes" in done.stdout
    assert "(dry run: nothing written)" in done.stdout
    assert files_of(ledger) == before


def test_guess_proposes_a_mapping_from_the_header(ledger, tmp_path):
    source = write(tmp_path, "f.csv", CSV_FR, encoding="cp1252")
    done = run(ledger, "import", "--guess", str(source))
    assert done.exit_code == 0
    assert done.stdout.splitlines()[1:] == [
        "import:",
        "  csv:",
        "    columns:",
        '      number: "N° facture"',
        '      date: "Date"',
        '      due: "Échéance"',
        '      amount: "Montant TTC"',
        '      net: "Montant HT"',
        '      client: "Client"',
        '      siren: "SIREN"',
        '      vat: "TVA intracom"',
        '      email: "E-mail"',
    ]


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (["Numéro", "Date d'émission", "Date d'échéance", "Total TTC", "Raison sociale"],
         {"number": "Numéro", "date": "Date d'émission", "due": "Date d'échéance", "amount": "Total TTC",
          "client": "Raison sociale"}),
        (["Invoice number", "Invoice date", "Due date", "Amount incl. VAT", "Customer", "Customer code", "VAT number"],
         {"number": "Invoice number", "date": "Invoice date", "due": "Due date", "amount": "Amount incl. VAT",
          "client": "Customer", "vat": "VAT number"}),
    ],
)  # fmt: skip
def test_guess_columns(headers, expected):
    assert guess_columns(headers) == expected


@pytest.mark.parametrize(
    ("text", "value"),
    [("1 234,56", "1234.56"), ("1234.5", "1234.50"), ("1.234,56 €", "1234.56"), ("1,234.56", "1234.56"),
     ("1\u202f234,00", "1234.00"), ("12", "12.00"), ("douze", None), ("", None)],
)  # fmt: skip
def test_french_and_english_amounts(text, value):
    found = parse_amount(text)
    assert (None if found is None else f"{found:.2f}") == value


def test_commit_makes_one_commit_naming_the_source_and_its_digest(ledger, tmp_path, monkeypatch):
    for name, value in {
        "GIT_AUTHOR_NAME": "Claire Martin",
        "GIT_AUTHOR_EMAIL": "claire@example.com",
        "GIT_COMMITTER_NAME": "Claire Martin",
        "GIT_COMMITTER_EMAIL": "claire@example.com",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
    }.items():
        monkeypatch.setenv(name, value)

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True, text=True).stdout

    git("init", "-q", "-b", "main")
    git("add", "ledger")
    git("commit", "-qm", "ledger")
    (tmp_path / "unrelated.txt").write_text("staged, not imported\n")
    git("add", "unrelated.txt")
    source = write(tmp_path, "factures.csv", CSV_FR)

    done = run(ledger, "import", "--commit", str(source))

    assert done.exit_code == 0, done.output
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    message = git("log", "-1", "--format=%B")
    assert message.startswith("import: 3 cases, 2 clients from factures.csv\n")
    assert f"Relancegit-Import: factures.csv sha256:{digest}" in message
    changed = git("show", "--name-only", "--format=", "HEAD").split()
    assert sorted(changed) == [
        "ledger/cases/2026/f2026-0101.yaml",
        "ledger/cases/2026/f2026-0102.yaml",
        "ledger/cases/2026/f2026-0103.yaml",
        "ledger/clients/boulangerie-dupre.yaml",
        "ledger/clients/societe-generale-d-etudes.yaml",
    ]
    assert git("diff", "--cached", "--name-only").split() == ["unrelated.txt"]
    assert run(ledger, "audit").exit_code == 0


def test_a_missing_file_or_no_file_is_a_usage_error(ledger, tmp_path):
    missing = run(ledger, "import", str(tmp_path / "nope.csv"))
    assert missing.exit_code == 2
    assert missing.stderr == f"relancegit: error: cannot read {tmp_path / 'nope.csv'}: No such file or directory\n"
    nothing = run(ledger, "import")
    assert nothing.exit_code == 2
    assert "name at least one file to import" in nothing.stderr


def test_commit_needs_a_committed_ledger_and_writes_nothing_without_it(ledger, tmp_path, monkeypatch):
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=tmp_path, check=True)
    before = files_of(ledger)
    done = run(ledger, "import", "--commit", str(write(tmp_path, "f.csv", CSV_FR)))
    assert done.exit_code == 1
    assert done.stderr == (
        "relancegit: error: ledger/relancegit.yaml is not committed yet; commit the ledger first, "
        "or import without --commit\n"
    )
    assert files_of(ledger) == before
