"""Ledger values in `.md` letters and in the text part of e-mails: escaped for a Markdown
reader (CommonMark and Python-Markdown), plain text in e-mails, the demo letters unchanged."""

from __future__ import annotations

import re
from email import policy
from email.parser import BytesParser
from html.parser import HTMLParser

import markdown
import pytest
from conftest import DEMO, DEMO_TODAY
from markdown_it import MarkdownIt

from relancegit import letters
from relancegit.letters.render import html_to_text, markdown_text, render_text
from relancegit.model import Ledger
from relancegit.read.load import load_ledger

CONFIG = """\
creditor:
  name: Atelier *Dupré* SARL
  address: [14 rue des Tanneurs, 69100 Villeurbanne]
  email: compta@atelier-dupre.example
  iban: FR76 1027 8073 4000 0204 1980 137
  signatory: Claire Martin, gérante
rates:
  - {period: 2026-H2, ecb: 2.15, legal_other: 2.62, legal_private: 6.67}
"""

# Each address line is something Markdown would read as syntax, alone or at a line's start.
ADDRESS = [
    "[pay](javascript:alert(1))",
    "# Siège",
    "- Bâtiment B",
    "1. étage",
    "===",
    "> cité",
    "<b>Hall</b> &amp; `cour` __1__ ~~x~~ \\o/",
    "<https://evil.example>",
    "75002 Paris",
]

CLIENT = """\
id: pipe
name: "Pipe & *Cie* _SAS_"
address:
{address}
contacts:
  - {{name: "Jo [x](http://evil.example)", email: jo@pipe.example}}
"""

CASE = """\
id: 2026-0248
client: pipe
invoices:
  - number: "F|2026|0248"
    date: 2026-09-01
    due: 2026-10-01
    amount: 1500.00
  - number: "F2026-0249"
    date: 2026-09-02
    due: 2026-10-02
    amount: 200.00
events:
  - {date: 2026-10-02, type: reminder, step: reminder-1, channel: email}
"""


@pytest.fixture
def piped(make_ledger) -> Ledger:  # type: ignore[no-untyped-def]
    address = "\n".join(
        f"  - {value!r}".replace("'", '"') if '"' not in value else f"  - '{value}'" for value in ADDRESS
    )
    root = make_ledger(
        {
            "relancegit.yaml": CONFIG,
            "clients/acme.yaml": None,
            "cases/2026/2026-0042.yaml": None,
            "clients/pipe.yaml": CLIENT.format(address=address),
            "cases/2026/2026-0248.yaml": CASE,
        }
    )
    result = load_ledger(root, DEMO_TODAY)
    assert not result.errors, result.errors
    assert result.ledger.clients["pipe"].address == tuple(ADDRESS)
    return result.ledger


class Html(HTMLParser):
    """Tags, table rows (cells' text) and text of an HTML fragment."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.rows: list[list[str]] = []
        self.cell: list[str] | None = None
        self.text: list[str] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag == "tr":
            self.rows.append([])
        elif tag in {"td", "th"}:
            self.cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in {"td", "th"} and self.cell is not None:
            self.rows[-1].append("".join(self.cell).strip())
            self.cell = None

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self.cell is not None:
            self.cell.append(data)


def renderers() -> dict[str, object]:
    commonmark = MarkdownIt("commonmark").enable(["table", "strikethrough"])  # as GitHub and GitLab read it
    return {
        "python-markdown": lambda text: markdown.markdown(text, extensions=["tables", "sane_lists"]),
        "commonmark": commonmark.render,
    }


@pytest.mark.parametrize("renderer", ["python-markdown", "commonmark"])
def test_md_letter_values_are_text_for_a_markdown_reader(piped: Ledger, renderer: str) -> None:
    letter = letters.letter_for_case(piped, "2026-0248", DEMO_TODAY, "reminder-2")
    md = letters.render(letter, "md").decode()
    page = Html(renderers()[renderer](md))  # type: ignore[operator]
    # Only the template's own markup: the invoice and payment tables, the debtor's address quote,
    # bold from the template.
    assert "a" not in page.tags and "img" not in page.tags and "b" not in page.tags and "code" not in page.tags
    assert not {"h1", "h2", "ul", "ol", "li", "hr", "em", "del", "s"} & set(page.tags)
    assert page.tags.count("blockquote") == 1 and page.tags.count("table") == 2
    # The invoice table keeps its five columns; the pipes stay in the number; the bank details
    # are a table of two columns.
    assert [len(row) for row in page.rows][:4] == [5, 5, 5, 5] and {len(row) for row in page.rows[4:]} == {2}
    assert [row[0] for row in page.rows][:4] == ["Facture", "F|2026|0248", "F2026-0249", "Total"]
    text = "".join(page.text)
    for value in ADDRESS:
        assert value in text, value
    assert "Atelier *Dupré* SARL" in text


def test_md_letter_escapes_only_what_markdown_would_read(piped: Ledger) -> None:
    md = letters.render(letters.letter_for_case(piped, "2026-0248", DEMO_TODAY, "reminder-2"), "md").decode()
    assert "| F\\|2026\\|0248 |" in md
    assert "> \\[pay\\](javascript:alert(1))  \n> \\# Siège  \n> \\- Bâtiment B  \n> 1\\. étage  \n> &#61;==  \n" in md
    assert (
        "> \\> cité  \n> &lt;b>Hall&lt;/b> &amp;amp; \\`cour\\` \\_\\_1\\_\\_ &#126;&#126;x&#126;&#126; \\\\o/  \n"
        in md
    )
    assert "> &lt;https://evil.example>  \n> 75002 Paris\n" in md


@pytest.mark.parametrize(
    ("value", "escaped"),
    [
        ("F2026-0248", "F2026-0248"),  # nothing to escape: as written
        (
            "Dupré & Fils, 12 rue de la Paix (bât. 2) #3 - 1. étage",
            "Dupré & Fils, 12 rue de la Paix (bât. 2) #3 - 1. étage",
        ),
        ("#1", "\\#1"),
        ("2) à droite", "2\\) à droite"),
        ("2026", "2026"),
        ("a\n- b\n  # c", "a\n\\- b\n  \\# c"),
        ("&eacute; &#38; & x", "&amp;eacute; &amp;#38; & x"),
    ],
)
def test_markdown_text(value: str, escaped: str) -> None:
    assert markdown_text(value) == escaped


def test_demo_md_letters_are_unchanged_by_escaping() -> None:
    """No demo value needs escaping: its `.md` letters are the template rendered with the values
    as written (the golden files in tests/golden/letters compare the whole text)."""
    demo = load_ledger(DEMO, DEMO_TODAY).ledger
    for case_id in ("2026-0220", "2026-0233", "2026-0248"):
        letter = letters.letter_for_case(demo, case_id, DEMO_TODAY)
        assert letters.render(letter, "md").decode() == render_text(letter, header=True).text


def email_text(ledger: Ledger, case_id: str, step: str | None = None) -> str:
    letter = letters.letter_for_case(ledger, case_id, DEMO_TODAY, step, header=False)
    message = BytesParser(policy=policy.default).parsebytes(letters.render(letter, "eml"))
    text: str = message.get_body(("plain",)).get_content()
    return text.replace("\r\n", "\n")


def test_email_text_part_is_plain_text(piped: Ledger) -> None:
    text = email_text(piped, "2026-0248", "reminder-2")
    assert "**" not in text and "|---" not in text and "\\" not in text
    assert not re.search(r"^\s*(#|\|)", text, re.MULTILINE)
    lines = text.splitlines()
    header = next(line for line in lines if line.startswith("Facture "))
    row = next(line for line in lines if line.startswith("F|2026|0248 "))
    total = next(line for line in lines if line.startswith("Total "))
    # Columns aligned: each amount ends where its heading ends (figures on the right).
    assert header.index("Montant TTC") + len("Montant TTC") == row.index("1\u202f500,00\u00a0€") + len(
        "1\u202f500,00\u00a0€"
    )
    assert len(header) == len(row) == len(total)


def test_demo_email_text_has_no_markdown() -> None:
    demo = load_ledger(DEMO, DEMO_TODAY).ledger
    for case_id in ("2026-0220", "2026-0248", "2026-0256"):
        text = email_text(demo, case_id)
        assert "**" not in text and "|" not in text and "\\" not in text, case_id
        assert not re.search(r"^#", text, re.MULTILINE), case_id
        assert re.match(r"^[^\n]+,\n\n[^\n]", text), case_id  # the salutation, a blank line, the first paragraph


def test_html_to_text_blocks() -> None:
    html = (
        "<h2>Titre</h2>\n<p>Un <strong>mot</strong>\nsur deux lignes<br />\nà la ligne</p>\n"
        "<ul>\n<li>un</li>\n<li>deux</li>\n</ul>\n<ol>\n<li>premier</li>\n</ol>\n"
        "<blockquote>\n<p>cité</p>\n</blockquote>\n<p>&lt;b&gt; &amp; 1\u202f000,00\u00a0€</p>"
    )
    assert html_to_text(html) == (
        "Titre\n\nUn mot sur deux lignes\nà la ligne\n\n- un\n- deux\n\n1. premier\n\n    cité\n\n"
        "<b> & 1\u202f000,00\u00a0€\n"
    )
