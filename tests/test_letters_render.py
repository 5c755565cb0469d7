"""Letters as HTML, PDF and e-mail: ledger values stay literal everywhere, the PDF is an A4
letter for a window envelope, the e-mail reads back with the standard library."""

from __future__ import annotations

import io
import re
from datetime import date
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest
from conftest import DEMO, DEMO_TODAY
from pypdf import PdfReader

from relancegit import letters
from relancegit.letters.render import markdown_literal, markdown_to_html
from relancegit.model import Ledger
from relancegit.read.load import load_ledger

NNBSP, NBSP = "\u202f", "\u00a0"
EVIL = "<script>alert(1)</script> {{ 7*7 }}"
A4_POINTS = (595.28, 841.89)
MM = 72 / 25.4

CONFIG = """\
creditor:
  name: Atelier Dupré SARL
  address: [14 rue des Tanneurs, 69100 Villeurbanne]
  email: compta@atelier-dupre.example
  iban: FR76 1027 8073 4000 0204 1980 137
  signatory: Claire Martin, gérante
rates:
  - {period: 2026-H2, ecb: 2.15, legal_other: 2.62, legal_private: 6.67}
"""

CLIENT = """\
id: evil
name: "<script>alert(1)</script> {{ 7*7 }}"
address:
  - "<script>alert(1)</script> {{ 7*7 }}"
  - "*Bureau* _3_ [lien](javascript:alert(1)) & Cie | x"
  - 75002 Paris
contacts:
  - {name: "<b>Jo</b> {{ 7*7 }}", email: jo@evil.example}
notes: "{% raw %}{{ 7*7 }}{% endraw %}"
"""

CASE = """\
id: 2026-0666
client: evil
invoices:
  - number: "F<i>66</i>"
    date: 2026-09-01
    due: 2026-10-01
    amount: 1500.00
    file: invoices/F66.pdf
events:
  - {date: 2026-10-02, type: reminder, step: reminder-1, channel: email, note: "<img src=x onerror=alert(1)>"}
"""


@pytest.fixture
def evil(make_ledger) -> Ledger:  # type: ignore[no-untyped-def]
    root = make_ledger(
        {
            "relancegit.yaml": CONFIG,
            "clients/acme.yaml": None,
            "cases/2026/2026-0042.yaml": None,
            "clients/evil.yaml": CLIENT,
            "cases/2026/2026-0666.yaml": CASE,
        }
    )
    (root / "invoices").mkdir()
    (root / "invoices" / "F66.pdf").write_bytes(b"%PDF-1.4 the invoice")
    result = load_ledger(root, DEMO_TODAY)
    assert not result.errors, result.errors
    return result.ledger


@pytest.fixture(scope="module")
def demo() -> Ledger:
    return load_ledger(DEMO, DEMO_TODAY).ledger


def pdf_text(data: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace(NNBSP, " ").replace(NBSP, " "))


# --- escaping ------------------------------------------------------------------------------


def test_markdown_literal_round_trips_through_markdown() -> None:
    for text in (EVIL, "*a* _b_ `c` [d](e) # f + g - h. !i | j \\ k & l > m", "1. pas une liste"):
        html = markdown_to_html(markdown_literal(text))
        assert html == "<p>" + text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") + "</p>"


@pytest.mark.parametrize("step", ["reminder-2", "formal-notice", "call", "escalate"])
def test_ledger_values_come_out_literally_in_md_and_html(evil: Ledger, step: str) -> None:
    letter = letters.letter_for_case(evil, "2026-0666", DEMO_TODAY, step)
    md = letters.render(letter, "md").decode()
    # Escaped for a Markdown reader (tests/test_letters_escaping.py), never evaluated.
    assert "&lt;script>alert(1)&lt;/script> {{ 7\\*7 }}" in md and "F&lt;i>66&lt;/i>" in md
    assert "49" not in md.replace("2026-0666", "")  # {{ 7*7 }} never evaluated
    html = letters.render(letter, "html").decode()
    for tag in ("<script", "<i>", "<b>", "<img", 'href="javascript'):
        assert tag not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; {{ 7*7 }}" in html
    assert "F&lt;i&gt;66&lt;/i&gt;" in html
    if step != "call":  # the call script prints no postal address
        assert "*Bureau* _3_ [lien](javascript:alert(1)) &amp; Cie | x" in html


def test_ledger_values_come_out_literally_in_the_pdf(evil: Ledger) -> None:
    letter = letters.letter_for_case(evil, "2026-0666", DEMO_TODAY, "letter")
    text = squash(pdf_text(letters.render(letter, "pdf")))
    assert "<script>alert(1)</script> {{ 7*7 }}" in text
    assert "*Bureau* _3_ [lien](javascript:alert(1)) & Cie | x" in text


def test_ledger_values_come_out_literally_in_the_email(evil: Ledger) -> None:
    letter = letters.letter_for_case(evil, "2026-0666", DEMO_TODAY, "reminder-2", header=False)
    message = BytesParser(policy=policy.default).parsebytes(letters.render(letter, "eml"))
    assert message["To"].addresses[0].display_name == "<b>Jo</b> {{ 7*7 }}"
    assert message["To"].addresses[0].addr_spec == "jo@evil.example"
    plain = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "F<i>66</i>" in plain and "F&lt;i&gt;66&lt;/i&gt;" in html and "<i>" not in html
    assert "F<i>66</i>" in message["Subject"]


# --- HTML ------------------------------------------------------------------------------------


def test_html_is_standalone_with_print_css(demo: Ledger) -> None:
    letter = letters.letter_for_case(demo, "2026-0220", DEMO_TODAY)
    html = letters.render(letter, "html").decode()
    assert html.startswith("<!DOCTYPE html>") and '<html lang="fr">' in html
    assert "@page" in html and "size: A4" in html
    assert '<address class="recipient">' in html
    assert "http://" not in html and "https://" not in html  # nothing fetched from elsewhere
    assert "<table>" in html and "Mise en demeure de payer" in html


# --- PDF ------------------------------------------------------------------------------------


def test_formal_notice_pdf_is_a4_and_says_what_it_must(demo: Ledger) -> None:
    letter = letters.letter_for_case(demo, "2026-0220", DEMO_TODAY)
    data = letters.render(letter, "pdf")
    reader = PdfReader(io.BytesIO(data))
    box = reader.pages[0].mediabox
    assert (round(float(box.width), 1), round(float(box.height), 1)) == (round(A4_POINTS[0], 1), round(A4_POINTS[1], 1))
    text = squash(pdf_text(data))
    assert "Mise en demeure de payer" in text
    assert "mettons en demeure de nous régler la somme de 8 280,00 €" in text
    assert "dans un délai de huit jours à compter de la réception de la présente" in text
    assert "8 160,00 €" in text and "120,00 €" in text
    assert "LETTRE RECOMMANDÉE AVEC ACCUSÉ DE RÉCEPTION" in text.upper()
    assert "L441-10" in text and "D441-5" in text


def test_a_letter_that_runs_over_keeps_its_closing_with_its_signature(demo: Ledger) -> None:
    """2026-0220's reminder letter (three invoices, five earlier contacts) runs onto a second
    page: its last paragraph, closing formula and signature go there together, never the
    signature alone."""
    letter = letters.letter_for_case(demo, "2026-0220", DEMO_TODAY, step="letter")
    pages = PdfReader(io.BytesIO(letters.render(letter, "pdf"))).pages
    assert len(pages) == 2
    last = squash(pages[1].extract_text())
    assert "Pour toute question, vous pouvez joindre Claire Martin" in last
    assert "Nous vous prions d'agréer" in last
    assert "Claire Martin, gérante" in last
    assert "Claire Martin, gérante" not in squash(pages[0].extract_text())


def test_pdf_places_the_address_in_the_window_of_a_dl_envelope(demo: Ledger) -> None:
    letter = letters.letter_for_case(demo, "2026-0220", DEMO_TODAY)
    page = PdfReader(io.BytesIO(letters.render(letter, "pdf"))).pages[0]
    found: dict[str, tuple[float, float]] = {}

    def visit(text: str, cm: list[float], tm: list[float], font: object, size: float) -> None:
        if text.strip() and text.strip() not in found:
            # The text's origin on the page: the text matrix times the current transformation.
            found[text.strip()] = (tm[4] * cm[0] + tm[5] * cm[2] + cm[4], tm[4] * cm[1] + tm[5] * cm[3] + cm[5])

    page.extract_text(visitor_text=visit)
    x, y = next(pos for t, pos in found.items() if t.startswith("Acme Industrie SAS"))
    from_left, from_top = x / MM, (float(page.mediabox.height) - y) / MM
    # French DL window: about 100-110 mm from the left edge, 45-50 mm from the top (the baseline
    # of the first line sits a few millimetres below the block's top edge).
    assert 100 <= from_left <= 115, from_left
    assert 42 <= from_top <= 55, from_top


# --- e-mail ---------------------------------------------------------------------------------


def test_email_parts_attachments_and_message_id(evil: Ledger, demo: Ledger) -> None:
    letter = letters.letter_for_case(evil, "2026-0666", DEMO_TODAY, "reminder-2", header=False)
    raw = letters.render(letter, "eml")
    assert b"\r\n" in raw  # RFC 5322 line endings
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert message.get_content_type() == "multipart/mixed"
    assert message["Message-ID"] == letter.message_id
    assert re.fullmatch(r"<2026-0666\.reminder-2\.[0-9a-f]{16}@relancegit>", message["Message-ID"])
    assert message["From"].addresses[0].addr_spec == "compta@atelier-dupre.example"
    assert message.get_body(("plain",)).get_content_type() == "text/plain"
    assert message.get_body(("html",)).get_content_type() == "text/html"
    attachments = list(message.iter_attachments())
    assert [(a.get_filename(), a.get_content_type(), a.get_content()) for a in attachments] == [
        ("F66.pdf", "application/pdf", b"%PDF-1.4 the invoice")
    ]
    plain = message.get_body(("plain",)).get_content()
    assert "Madame, Monsieur," in plain and "**Atelier Dupré SARL**" not in plain  # no postal header

    # The Message-ID is stable (same case, step and ledger) and differs between steps.
    again = letters.letter_for_case(evil, "2026-0666", date(2026, 11, 30), "reminder-2")
    assert again.message_id == letter.message_id
    assert letters.letter_for_case(evil, "2026-0666", DEMO_TODAY, "letter").message_id != letter.message_id

    demo_mail = BytesParser(policy=policy.default).parsebytes(
        letters.render(letters.letter_for_case(demo, "2026-0256", DEMO_TODAY), "eml")
    )
    assert str(demo_mail["From"]) == "Atelier Dupré — Comptabilité <compta@atelier-dupre.example>"
    assert demo_mail["To"].addresses[0].addr_spec == "agnes@imprimerie-roux.example"
    assert demo_mail.get_content_type() == "multipart/alternative"  # no invoice file: no attachment


def test_invoice_files_must_stay_inside_the_ledger(evil: Ledger, tmp_path: Path) -> None:
    case = evil.root / "cases" / "2026" / "2026-0666.yaml"
    case.write_text(CASE.replace("invoices/F66.pdf", "../../outside.pdf"), "utf-8")
    (evil.root.parent.parent / "outside.pdf").write_bytes(b"secret")
    ledger = load_ledger(evil.root, DEMO_TODAY).ledger
    letter = letters.letter_for_case(ledger, "2026-0666", DEMO_TODAY, "reminder-2")
    with pytest.raises(Exception, match="outside the ledger folder"):
        letters.render(letter, "eml")
