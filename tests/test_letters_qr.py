"""The SEPA payment QR code (EPC069-12 "GiroCode") of letters: its payload as the standard
writes it, and the code read back by a real decoder (zxing-cpp) from the rendered PDF page
(rasterised by poppler's pdftoppm), the HTML's inline SVG and the e-mail's related image, to
the same IBAN, amount and reference the letter prints; none in Markdown, none when switched
off, without an IBAN or in another currency."""

from __future__ import annotations

import email
import email.policy
import io
import re
import subprocess
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import zxingcpp
from conftest import DEMO_TODAY, LedgerFactory
from PIL import Image, ImageDraw
from pypdf import PdfReader

from relancegit import letters
from relancegit.letters.compose import epc_payload
from relancegit.model import Ledger
from relancegit.read.load import load_ledger

IBAN = "FR76 1027 8073 4000 0204 1980 137"
BIC = "CMCIFR2A"

CONFIG = f"""\
creditor:
  name: Atelier Dupré SARL
  address: [14 rue des Tanneurs, 69100 Villeurbanne]
  email: compta@atelier-dupre.example
  iban: {IBAN}
  bic: {BIC}
  signatory: Claire Martin, gérante
rates:
  - {{period: 2026-H2, ecb: 2.15, legal_other: 2.62, legal_private: 6.67}}
"""

BUSINESS = """\
id: acme
name: ACME Industrie SAS
address: [8 place Bellecour, 69002 Lyon]
contacts:
  - {name: Agnès Roux, role: comptable, email: agnes@acme.example}
"""

CASE = """\
id: 2026-0042
client: acme
invoices:
  - {number: F2026-0042, date: 2026-08-01, due: 2026-08-31, amount: 1234.56}
events: []
"""

PLAN = """\
id: 2026-0042
client: acme
invoices:
  - {number: F2026-0042, date: 2026-08-01, due: 2026-08-31, amount: 3000.00}
events:
  - date: 2026-09-05
    type: plan
    signed: true
    installments:
      - {due: 2026-09-30, amount: 1000}
      - {due: 2026-10-30, amount: 1250.50}
      - {due: 2026-11-30, amount: 749.50}
  - {date: 2026-09-29, type: payment, amount: 1000}
"""


def ledger_of(make_ledger: LedgerFactory, config: str = CONFIG, case: str = CASE) -> Ledger:
    root = make_ledger({"relancegit.yaml": config, "clients/acme.yaml": BUSINESS, "cases/2026/2026-0042.yaml": case})
    result = load_ledger(root, DEMO_TODAY)
    assert not result.errors, [p.message for p in result.errors]
    return result.ledger


def render(ledger: Ledger, fmt: str, step: str = "formal-notice", today: date = DEMO_TODAY) -> bytes:
    return letters.render(letters.letter_for_case(ledger, "2026-0042", today, step), fmt)


def decode(image: Image.Image) -> list[zxingcpp.Result]:
    return [r for r in zxingcpp.read_barcodes(image) if r.format == zxingcpp.BarcodeFormat.QRCode]


def elements(payload: str) -> list[str]:
    return payload.split("\n")


def money(text: str) -> Decimal:
    """ "8 280,00 €" (French, with any kind of space) as a Decimal."""
    return Decimal(re.sub(r"\s", "", text).replace("€", "").replace(",", "."))


def demanded(markdown: str) -> Decimal:
    """The sum a formal notice demands, as the letter prints it."""
    found = re.search(r"mettons en demeure de nous régler la somme de ([\d\s\u202f\u00a0]+,\d\d\s?€)", markdown)
    assert found, markdown
    return money(found.group(1))


def pdf_pages(pdf: bytes, tmp_path: Path) -> list[Image.Image]:
    """Each page of the PDF as an image, by poppler's pdftoppm (150 dpi, greyscale)."""
    source = tmp_path / "letter.pdf"
    source.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "150", "-gray", "-png", str(source), str(tmp_path / "page")], check=True)
    return [Image.open(p) for p in sorted(tmp_path.glob("page-*.png"))]


def svg_image(svg: str) -> Image.Image:
    """segno's inline SVG (one path of horizontal runs: `M x y`, `m dx dy`, `h n`) drawn
    module by module, to read it back as a scanner would."""
    path = re.search(r'<path[^>]* d="([^"]+)"', svg)
    assert path, svg
    x = y = 0.0
    runs: list[tuple[float, float, float]] = []
    for op, a, b in re.findall(r"([Mmh])(-?[\d.]+)(?:\s+(-?[\d.]+))?", path.group(1)):
        if op == "M":
            x, y = float(a), float(b)
        elif op == "m":
            x, y = x + float(a), y + float(b)
        else:
            runs.append((x, y, float(a)))
            x += float(a)
    size = int(max(x0 + n for x0, _, n in runs)) + 4
    scale = 6
    image = Image.new("L", (size * scale, size * scale), 255)
    draw = ImageDraw.Draw(image)
    for x0, y0, n in runs:
        top = int(y0 - 0.5) * scale
        draw.rectangle((int(x0) * scale, top, int(x0 + n) * scale - 1, top + scale - 1), fill=0)
    return image


# --- the payload --------------------------------------------------------------------------------


def test_payload_follows_epc069_12_version_002() -> None:
    payload = epc_payload("Atelier Dupré SARL", IBAN, BIC, Decimal("1234.5"), "2026-0042")
    assert payload is not None
    assert elements(payload) == [
        "BCD",  # service tag
        "002",  # version
        "1",  # character set: UTF-8
        "SCT",  # SEPA credit transfer
        BIC,
        "Atelier Dupré SARL",
        IBAN.replace(" ", ""),  # the IBAN without its spaces
        "EUR1234.50",  # the amount, a point and two decimals
        "",  # purpose
        "",  # structured reference (the case id is no ISO 11649 reference)
        "2026-0042",  # remittance text: the reference to quote
    ]
    assert not payload.endswith("\n")


def test_payload_limits() -> None:
    no_bic = epc_payload("A" * 90, IBAN, None, Decimal("0.01"), "R" * 200)
    assert no_bic is not None
    lines = elements(no_bic)
    assert lines[4] == ""  # the BIC is optional in version 002
    assert lines[5] == "A" * 70 and lines[7] == "EUR0.01" and lines[10] == "R" * 140
    assert elements(epc_payload("A", IBAN, BIC, Decimal("999999999.99"), "x") or "")[7] == "EUR999999999.99"
    assert epc_payload("A", IBAN, BIC, Decimal("1000000000.00"), "x") is None
    assert epc_payload("A", IBAN, BIC, Decimal("0.00"), "x") is None
    assert epc_payload("A", IBAN, BIC, Decimal("0.004"), "x") is None  # rounds to 0.00
    # 70 characters of three bytes each and 140 of two: over the 331 bytes a version 13 code holds at level M
    assert epc_payload("€" * 70, IBAN, BIC, Decimal(1), "é" * 140) is None


# --- read back from each format -------------------------------------------------------------------


def test_pdf_qr_code_reads_back_to_the_iban_amount_and_reference(make_ledger: LedgerFactory, tmp_path: Path) -> None:
    ledger = ledger_of(make_ledger)
    markdown = render(ledger, "md").decode("utf-8")
    pdf = render(ledger, "pdf")
    texts = [" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(pdf)).pages]
    found = [(i, r) for i, page in enumerate(pdf_pages(pdf, tmp_path)) for r in decode(page)]
    assert len(found) == 1, found
    page, result = found[0]
    assert IBAN in texts[page] and "2026-0042" in texts[page]  # beside the bank details
    assert result.ec_level == "M"
    lines = elements(result.text)
    assert lines[:4] == ["BCD", "002", "1", "SCT"]
    assert lines[4] == BIC and lines[5] == "Atelier Dupré SARL"
    assert lines[6] == IBAN.replace(" ", "")
    assert lines[7] == f"EUR{demanded(markdown)}"  # what the notice demands: principal and indemnity
    assert lines[10] == "2026-0042"
    assert "| Référence à rappeler | 2026-0042 |" in markdown


def test_html_has_the_qr_code_inline(make_ledger: LedgerFactory) -> None:
    ledger = ledger_of(make_ledger)
    page = render(ledger, "html").decode("utf-8")
    block = re.search(r'<div class="payment-block".*?</table><div class="payment-qr"[^>]*>(<svg.*?</svg>)', page, re.S)
    assert block, "the QR code sits beside the bank details table"
    svg = block.group(1)
    assert "<title>QR code de paiement SEPA</title>" in svg
    assert not re.search(r"(src|href)=", svg)  # drawn in the page: nothing to fetch
    [result] = decode(svg_image(svg))
    lines = elements(result.text)
    assert lines[6] == IBAN.replace(" ", "") and lines[10] == "2026-0042"
    assert lines[7] == f"EUR{demanded(render(ledger, 'md').decode('utf-8'))}"
    assert "payment-qr -->" not in page


def test_email_carries_the_qr_code_as_a_related_image(make_ledger: LedgerFactory) -> None:
    ledger = ledger_of(make_ledger, case=PLAN)
    raw = render(ledger, "eml", "plan-agreement", date(2026, 10, 1))
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, email.message.EmailMessage)
    related = next(p for p in message.walk() if p.get_content_type() == "multipart/related")
    html_part, image = related.iter_parts()
    assert html_part.get_content_type() == "text/html" and image.get_content_type() == "image/png"
    assert image["Content-ID"] == "<payment-qr@relancegit>"
    assert image.get_content_disposition() == "inline"
    assert '<img src="cid:payment-qr@relancegit" alt="QR code de paiement SEPA"' in html_part.get_content()
    assert "data:" not in html_part.get_content()
    [result] = decode(Image.open(io.BytesIO(image.get_content())))
    lines = elements(result.text)
    assert lines[6] == IBAN.replace(" ", "") and lines[10] == "2026-0042"
    assert lines[7] == "EUR1250.50"  # a plan agreement asks for the first installment not yet paid
    text = message.get_body(("plain",))
    assert text is not None and "payment-qr" not in text.get_content() and "QR" not in text.get_content()


def test_english_letter_titles_the_qr_code_in_english(make_ledger: LedgerFactory) -> None:
    ledger = ledger_of(make_ledger, case=CASE, config=CONFIG.replace("rates:", "language: en\nrates:"))
    page = render(ledger, "html").decode("utf-8")
    assert "<title>SEPA payment QR code</title>" in page


# --- when there is none ---------------------------------------------------------------------------


def test_markdown_has_no_qr_code(make_ledger: LedgerFactory) -> None:
    ledger = ledger_of(make_ledger)
    assert "<svg" in render(ledger, "html").decode("utf-8")  # the HTML of the same letter has one
    text = render(ledger, "md").decode("utf-8")
    assert "payment-qr" not in text and "<svg" not in text and "<!--" not in text
    assert f"| IBAN | {IBAN} |" in text


@pytest.mark.parametrize(
    ("change", "why"),
    [
        (lambda c: c + "payment_qr: false\n", "switched off"),
        (lambda c: c.replace(f"  iban: {IBAN}\n", "").replace(f"  bic: {BIC}\n", ""), "no IBAN"),
        (lambda c: c + "currency: CHF\n", "not in euros"),
    ],
)
def test_no_qr_code(make_ledger: LedgerFactory, change: object, why: str) -> None:
    config = change(CONFIG)  # type: ignore[operator]
    assert config != CONFIG
    root = make_ledger({"relancegit.yaml": CONFIG, "clients/acme.yaml": BUSINESS, "cases/2026/2026-0042.yaml": CASE})
    assert "<svg" in render(load_ledger(root, DEMO_TODAY).ledger, "html").decode("utf-8")  # the ledger as it was
    ledger = ledger_of(make_ledger, config=config)
    page = render(ledger, "html").decode("utf-8")
    assert "<svg" not in page and "payment-qr" not in page, why
    raw = render(ledger, "eml")
    assert b"multipart/related" not in raw and b"cid:" not in raw, why


def test_config_switch_must_be_a_boolean(make_ledger: LedgerFactory) -> None:
    root = make_ledger({"relancegit.yaml": CONFIG + "payment_qr: sometimes\n", "clients/acme.yaml": BUSINESS})
    result = load_ledger(root, DEMO_TODAY)
    messages = [f"{p.line}:{p.column}: {p.message}" for p in result.errors]
    assert any(m.startswith("10:13: ") and "payment_qr" in m for m in messages), messages


# --- the page layout -------------------------------------------------------------------------------


def test_qr_code_stays_with_the_bank_details_over_a_page_break(make_ledger: LedgerFactory, tmp_path: Path) -> None:
    """Letters long enough to push the payment block to the page break: the QR code is read
    on the page that holds the IBAN, the BIC and the reference."""
    seen_two_pages = False
    for count in (13, 15, 17):
        invoices = "".join(
            f"  - {{number: F2026-{n:04d}, date: 2026-08-{n:02d}, due: 2026-09-{n:02d}, amount: 100.00}}\n"
            for n in range(1, count + 1)
        )
        case = f"id: 2026-0042\nclient: acme\ninvoices:\n{invoices}events: []\n"
        pdf = render(ledger_of(make_ledger, case=case), "pdf")
        texts = [" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(pdf)).pages]
        seen_two_pages |= len(texts) > 1
        folder = tmp_path / str(count)
        folder.mkdir()
        found = [i for i, page in enumerate(pdf_pages(pdf, folder)) for _ in decode(page)]
        iban = [i for i, text in enumerate(texts) if IBAN in text]
        bic = [i for i, text in enumerate(texts) if BIC in text]
        assert found == iban == bic, f"{count} invoices: QR on pages {found}, IBAN on {iban}, BIC on {bic}"
    assert seen_two_pages


def test_dashboard_previews_carry_no_qr_code():
    """The dashboard renders thousands of letter previews: no QR code there (about 12 ms each,
    which doubled a cold build); the letters rendered to be sent carry it."""
    from conftest import DEMO, DEMO_TODAY

    from relancegit.engine.state import compute_case
    from relancegit.letters import letter_for_case, render_case_letter_html
    from relancegit.letters.render import to_html
    from relancegit.read.load import load_ledger

    ledger = load_ledger(DEMO, DEMO_TODAY).ledger
    state = compute_case(ledger, ledger.cases["2026-0220"], DEMO_TODAY)
    assert "payment-qr" in to_html(letter_for_case(ledger, "2026-0220", DEMO_TODAY))
    assert "payment-qr" not in render_case_letter_html(ledger, state, "formal-notice", DEMO_TODAY)
