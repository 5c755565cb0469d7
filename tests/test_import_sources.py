"""`relancegit import` of the FEC and of e-invoices (Factur-X PDFs, CII, UBL), from fixtures
written from the official descriptions (tests/data/import/), and of malicious XML."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from relancegit.cli import main
from relancegit.read.yamlsafe import parse_yaml

DATA = Path(__file__).parent / "data" / "import"
FEC = DATA / "123456789FEC20261130.txt"
TODAY = "2026-12-01"


def run(root: Path, *args: str) -> Result:
    return CliRunner().invoke(main, ["--ledger", str(root), "--today", TODAY, *args], catch_exceptions=False)


def files_of(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*.yaml"))}


def case(root: Path, case_id: str) -> dict:
    return parse_yaml((root / "cases" / "2026" / f"{case_id}.yaml").read_bytes())


# --- FEC ----------------------------------------------------------------------------------------


def test_fec_lettered_partly_lettered_and_unlettered_lines_of_two_journals(make_ledger):
    ledger = make_ledger()
    done = run(ledger, "--format", "json", "import", str(FEC))
    assert done.exit_code == 0, done.output
    out = json.loads(done.stdout)
    assert out["files"][0]["format"] == "fec"
    # FA2026-0101 is lettered AA with its whole payment: paid, not imported.
    assert out["paid"] == ["FA2026-0101"]
    invoices = {i["number"]: i for c in out["cases"] for i in c["invoices"]}
    assert sorted(invoices) == ["FA2026-0102", "FA2026-0103", "FA2026-0104"]
    # FA2026-0102 is lettered AB with a payment of 1000.00 out of 2400.00: imported, with it.
    assert (invoices["FA2026-0102"]["amount"], invoices["FA2026-0102"]["paid"]) == ("2400.00", "1000.00")
    assert invoices["FA2026-0102"]["net"] == "2000.00"  # its 706 line
    assert invoices["FA2026-0102"]["due"] == "2026-10-20"  # 30 days: the FEC has no due date
    assert invoices["FA2026-0102"]["due_from"].startswith("the FEC has no due dates: invoice date + 30 days")
    # ACME INDUSTRIE SAS is the ledger's client `acme` (same name); the others are created.
    assert {c["client"] for c in out["cases"]} == {"acme", "boulangerie-dupre", "nexa-informatique"}
    assert [c["id"] for c in out["clients"]] == ["boulangerie-dupre", "nexa-informatique"]
    # The bank journal's payment of 100.00 by Nexa is not lettered: applied to nothing, said where.
    (warning,) = out["warnings"]
    assert (warning["line"], warning["column"]) == (19, 80)
    assert warning["message"].startswith("credit 100.00 on client account 411NEXA (VIR-90017")
    assert case(ledger, "fa2026-0102")["events"] == [
        {"date": parse_yaml(b"d: 2026-11-10")["d"], "type": "payment", "amount": parse_yaml(b"a: 1000.00")["a"],
         "ref": "VIR-88455"}
    ]  # fmt: skip
    shown = json.loads(run(ledger, "--format", "json", "show", "FA2026-0102").stdout)
    assert (shown["total"], shown["paid"], shown["balance"]) == ("2400.00", "1000.00", "1400.00")
    assert run(ledger, "check").exit_code == 0
    after = files_of(ledger)
    again = run(ledger, "import", str(FEC))
    assert "0 cases and 0 clients to create, 3 already in the ledger" in again.stdout
    assert files_of(ledger) == after


def test_fec_default_terms_come_from_the_config(make_ledger):
    from tests.conftest import CONFIG

    ledger = make_ledger({"relancegit.yaml": CONFIG + "import: {default_terms_days: 45}\n"})
    done = run(ledger, "import", str(FEC))
    assert "note: the FEC has no due dates: invoice date + 45 days (import.default_terms_days)" in done.stdout
    assert str(case(ledger, "fa2026-0103")["invoices"][0]["due"]) == "2026-11-16"


def test_fec_with_a_bad_amount_and_a_short_line_is_refused_where_they_are(make_ledger, tmp_path):
    lines = FEC.read_text(encoding="utf-8").splitlines()
    lines[1] = lines[1].replace("|1200,00|", "|12OO,00|")
    lines[6] = "|".join(lines[6].split("|")[:10])
    bad = tmp_path / "FEC.txt"
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    ledger = make_ledger()
    before = files_of(ledger)
    done = run(ledger, "import", "--from", "fec", str(bad))
    assert done.exit_code == 1
    assert f"{bad}:2:143: error: Debit '12OO,00': expected an amount like 1200,00" in done.stderr
    assert f"{bad}:7:1: error: 10 fields, the header has 18" in done.stderr
    assert files_of(ledger) == before


# --- e-invoices -----------------------------------------------------------------------------------


def _pdf(tmp_path: Path, xml: Path) -> Path:
    """A Factur-X PDF made with the factur-x library from a CII XML fixture."""
    from io import BytesIO

    from facturx import generate_from_binary
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    blank = BytesIO()
    writer.write(blank)
    path = tmp_path / (xml.stem + ".pdf")
    path.write_bytes(generate_from_binary(blank.getvalue(), xml.read_bytes(), check_xsd=True))
    return path


def test_facturx_pdfs_of_the_minimum_basic_and_en16931_profiles(make_ledger, tmp_path):
    ledger = make_ledger()
    pdfs = [_pdf(tmp_path, DATA / f"cii-{profile}.xml") for profile in ("minimum", "basic", "en16931")]
    done = run(ledger, "--format", "json", "import", *map(str, pdfs))
    assert done.exit_code == 0, done.output
    out = json.loads(done.stdout)
    assert [f["format"] for f in out["files"]] == ["facturx"] * 3
    invoices = {i["number"]: i for c in out["cases"] for i in c["invoices"]}
    # MINIMUM: no due date (BT-9) in the profile: the default terms, said.
    assert invoices["FX-2026-0101"] | {"file": "", "line": 0} == {
        "number": "FX-2026-0101", "date": "2026-10-02", "due": "2026-11-01", "amount": "1800.00", "net": "1500.00",
        "paid": "0.00", "due_from": "no due date (BT-9): invoice date + 30 days (import.default_terms_days)",
        "file": "", "line": 0,
    }  # fmt: skip
    assert (invoices["FX-2026-0102"]["due"], invoices["FX-2026-0102"]["amount"]) == ("2026-11-08", "1200.00")
    # EN 16931 with 500.00 prepaid: the amount due (BT-115), not the total (BT-112).
    assert invoices["FX-2026-0103"]["amount"] == "1468.00"
    client = parse_yaml((ledger / "clients" / "delta-automatismes.yaml").read_bytes())
    assert client == {
        "id": "delta-automatismes", "name": "Delta Automatismes SARL", "type": "business",
        "address": ["14 avenue Jean Jaurès", "69007 Lyon"], "siren": "403483415", "vat": "FR61403483415",
        "contacts": [{"name": "Delta Automatismes SARL", "email": "compta@delta-automatismes.example"}],
    }  # fmt: skip
    assert run(ledger, "check").exit_code == 0
    after = files_of(ledger)
    assert run(ledger, "import", *map(str, pdfs)).exit_code == 0
    assert files_of(ledger) == after


def test_cii_and_ubl_invoices_with_their_credit_notes(make_ledger):
    ledger = make_ledger()
    names = ["cii-en16931.xml", "cii-credit-note.xml", "ubl-invoice.xml", "ubl-credit-note.xml"]
    done = run(ledger, "import", *(str(DATA / n) for n in names))
    assert done.exit_code == 0, done.output
    assert "  with credit note AV-2026-0007 120.00 on FX-2026-0103" in done.stdout
    assert "  with credit note UBL-AV-2026-0009 300.00 on UBL-2026-0201" in done.stdout
    ubl = (ledger / "cases" / "2026" / "ubl-2026-0201.yaml").read_text(encoding="utf-8")
    assert ubl.endswith(
        "invoices:\n"
        "  - number: UBL-2026-0201\n"
        "    date: 2026-10-20\n"
        "    due: 2026-11-19\n"
        "    amount: 2940.00\n"
        "    net: 2450.00\n"
        "events:\n"
        "  - {date: 2026-11-02, type: credit-note, amount: 300.00, invoice: UBL-2026-0201, number: UBL-AV-2026-0009}\n"
    )
    shown = json.loads(run(ledger, "--format", "json", "show", "UBL-2026-0201").stdout)
    assert (shown["total"], shown["credited"], shown["balance"]) == ("2940.00", "300.00", "2640.00")
    client = parse_yaml((ledger / "clients" / "imprimerie-roux.yaml").read_bytes())
    assert client["address"] == ["8 quai de la Fosse", "44000 Nantes"]
    assert run(ledger, "check").exit_code == 0
    # The credit note alone, its invoice already in the ledger: the command to record it.
    again = run(ledger, "import", str(DATA / "ubl-credit-note.xml"))
    assert "credit note UBL-AV-2026-0009" not in again.stdout  # recorded already: nothing to say
    assert files_of(ledger)


def test_a_credit_note_of_an_invoice_already_in_the_ledger_gives_the_record_command(make_ledger, tmp_path):
    ledger = make_ledger()
    text = (
        (DATA / "ubl-credit-note.xml")
        .read_text(encoding="utf-8")
        .replace("<cbc:ID>UBL-2026-0201</cbc:ID>", "<cbc:ID>F2026-0042</cbc:ID>")
    )
    note = tmp_path / "avoir.xml"
    note.write_text(text, encoding="utf-8")
    done = run(ledger, "import", str(note))
    assert done.exit_code == 0
    assert (
        "credit note UBL-AV-2026-0009 300.00 not imported: its invoice is in case 2026-0042: relancegit record "
        "2026-0042 credit-note amount=300.00 number=UBL-AV-2026-0009 invoice=F2026-0042 --date 2026-11-02"
    ) in done.stdout


def test_an_xml_that_fails_its_schema_is_refused_with_the_line(make_ledger, tmp_path):
    text = (DATA / "cii-basic.xml").read_text(encoding="utf-8").replace("<ram:TypeCode>380</ram:TypeCode>", "")
    bad = tmp_path / "bad.xml"
    bad.write_text(text, encoding="utf-8")
    done = run(make_ledger(), "import", str(bad))
    assert done.exit_code == 1
    assert f"{bad}:" in done.stderr and "not valid against the factur-x schema" in done.stderr


BILLION_LAUGHS = """\
<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<rsm:CrossIndustryInvoice
 xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100">&lol3;</rsm:CrossIndustryInvoice>
"""

EXTERNAL_ENTITY = """\
<?xml version="1.0"?>

<!DOCTYPE Invoice [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2">&xxe;</Invoice>
"""


@pytest.mark.parametrize(
    ("text", "fmt", "where", "message"),
    [
        (BILLION_LAUGHS, "cii", "2:1", "refused: a DOCTYPE (entity definitions can expand without bound)"),
        (EXTERNAL_ENTITY, "ubl", "3:1", "refused: an external entity"),
    ],
)
def test_malicious_xml_is_refused_with_a_located_error(make_ledger, tmp_path, text, fmt, where, message):
    ledger = make_ledger()
    before = files_of(ledger)
    path = tmp_path / "evil.xml"
    path.write_text(text, encoding="utf-8")
    done = run(ledger, "import", str(path))
    assert done.exit_code == 1
    assert f"{path}:{where}: error: {message}; an e-invoice has no DOCTYPE" in done.stderr
    assert (
        json.loads(run(ledger, "--format", "json", "import", "--dry-run", str(path)).stdout)["files"][0]["format"]
        == fmt
    )
    assert files_of(ledger) == before


def test_a_plain_pdf_is_refused(make_ledger, tmp_path):
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    path = tmp_path / "scan.pdf"
    with path.open("wb") as handle:
        writer.write(handle)
    done = run(make_ledger(), "import", str(path))
    assert done.exit_code == 1
    assert f"{path}:1:1: error: no Factur-X / ZUGFeRD XML in this PDF" in done.stderr


FIXTURES = [
    "factures-windows-1252.csv",
    "factures-utf8-bom.csv",
    FEC.name,
    "facturx-minimum",
    "facturx-basic",
    "facturx-en16931",
    "cii-en16931.xml cii-credit-note.xml",
    "ubl-invoice.xml ubl-credit-note.xml",
]


@pytest.mark.parametrize("fixture", FIXTURES)
def test_each_fixture_into_an_empty_init_ledger(tmp_path, fixture):
    """The "done when" of the import issue: a fresh `init` ledger, the import, a clean check,
    a sensible agenda (never a formal notice first), and a second import that changes nothing."""
    assert CliRunner().invoke(main, ["init", str(tmp_path / "repo")]).exit_code == 0
    ledger = tmp_path / "repo" / "ledger"
    pdf = fixture.removeprefix("facturx-")
    sources = [_pdf(tmp_path, DATA / f"cii-{pdf}.xml")] if pdf != fixture else [DATA / n for n in fixture.split()]
    done = run(ledger, "import", *map(str, sources))
    assert done.exit_code == 0, done.output
    check = run(ledger, "--format", "json", "check")
    assert json.loads(check.stdout)["errors"] == []
    assert json.loads(check.stdout)["counts"]["cases"] >= 1
    agenda = json.loads(run(ledger, "--format", "json", "next", "--within", "60").stdout)
    assert agenda and {a["kind"] for a in agenda} == {"step"}
    assert "formal-notice" not in {a["step"] for a in agenda}
    after = files_of(ledger)
    again = run(ledger, "import", *map(str, sources))
    assert again.exit_code == 0
    assert "0 cases and 0 clients to create" in again.stdout
    assert files_of(ledger) == after
