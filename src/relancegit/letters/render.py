"""A letter context to Markdown, standalone HTML, PDF and e-mail (README, "Letters and e-mail").

Layer: render. Templates come from the one shared Jinja environment (`templating`): the
ledger repository's `templates/` first, then the packaged ones; undefined variables are
errors; ledger values are passed as *data*, never compiled, so `{{ 7*7 }}` in a client's
name stays those seven characters.

How ledger values stay inert in HTML. The HTML of a letter is its Markdown converted, and
Markdown lets raw HTML through. So the HTML is not converted from the `.md` output: the
template is rendered a second time with every free-text value of the context made literal
for Markdown (backslash before each Markdown punctuation mark, `&`, `<`, `>` as entities).
Markdown turns those back into the same characters, as text. Only template text (trusted)
can produce markup. The header blocks and the page around the body come from an HTML
template with Jinja's HTML autoescaping, fed with the plain values.

How ledger values stay inert in the `.md` output. The same way, with a lighter hand so the
file stays readable: only what Markdown (CommonMark and Python-Markdown alike) would read as
syntax is escaped, `\\` `` ` `` `*` `_` `[` `]` `|` anywhere, `<`, `~` and `&` of an entity
as entities, and at the start of a line what would begin a heading, quote, list or rule. A value
with none of these (the usual case) comes out unchanged.

The plain-text part of an e-mail is not Markdown: it is the HTML body read back as text
(paragraphs, line breaks, lists with dashes, tables as aligned columns), so neither `**`, `#`
nor `|---|` reaches the reader, and ledger values come out as they were written.

The PDF is that HTML through WeasyPrint (A4; the debtor's address where a French window
envelope shows it), with every external fetch refused.

The SEPA payment QR code (EPC069-12; its payload is built in `compose.py`) is drawn here, beside
the bank details: the payment template marks the place with an HTML comment, only in the
rendering for HTML, and the page replaces it with an inline SVG (HTML, PDF: no request to any
host) or, in an e-mail, with an image of a `multipart/related` part (`cid:`), which mail
clients show where they block `data:` images and SVG. The Markdown output has none.
"""

from __future__ import annotations

import hashlib
import html
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, fields, is_dataclass, replace
from datetime import datetime, time
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
import markdown
import segno
from markupsafe import Markup

from relancegit.letters.context import Keyword, LetterContext, one_line
from relancegit.letters.typography import typeset
from relancegit.problems import RelancegitError
from relancegit.render import templating
from relancegit.rules.checks import email_address_problem

FORMATS = ("md", "html", "pdf", "eml")
PARIS = ZoneInfo("Europe/Paris")
# Python-Markdown's backslash escapes (plus `|`, which its tables extension adds): each of
# these characters, preceded by a backslash, comes out as itself.
_MARKDOWN_PUNCTUATION = re.compile(r"([\\`*_{}\[\]()#+\-.!|])")
_MARKDOWN_EXTENSIONS = ["tables", "sane_lists"]


class TemplateProblem(RelancegitError):
    """A letter template is missing, or fails (syntax, undefined variable)."""


@dataclass(frozen=True)
class Letter:
    """A letter ready to render in any format."""

    context: LetterContext
    ledger_root: Path
    currency: str
    sender: str | None  # smtp.from, else the creditor's e-mail
    hash_seed: str  # identifies the ledger in Message-IDs (creditor name and SIREN)

    @property
    def name(self) -> str:
        """`{case}-{step}` (or `{client}-{step}` for a consolidated letter): the file stem."""
        return f"{self.context.reference}-{self.context.step}"

    @property
    def message_id(self) -> str:
        """Stable for a case (or client) and step of one ledger: a re-send has the same id."""
        ctx = self.context
        scope = "client" if ctx.consolidated else "case"
        seed = "\0".join((self.hash_seed, scope, ctx.reference, ctx.step))
        digest = hashlib.sha256(seed.encode("utf-8")).hexdigest()[:16]
        return f"<{ctx.reference}.{ctx.step}.{digest}@relancegit>"


@dataclass(frozen=True)
class RenderedText:
    subject: str
    text: str  # Markdown
    document: bool  # an internal or standalone document (call script, dossier): no window address


# --- templates -------------------------------------------------------------------------------


def template_names(step: str, tone: str, language: str) -> list[str]:
    """Template lookup (README, "Letters and e-mail"): the tone's variant, then the step's."""
    return [f"letters/{step}.{tone}.{language}.md.j2", f"letters/{step}.{language}.md.j2"]


def _environment(letter: Letter) -> jinja2.Environment:
    """The shared environment with the letter's language filters (cached: templates compile once)."""
    return templating.bound_environment(letter.ledger_root, letter.context.language, letter.currency)


def _render(letter: Letter, render: Callable[[jinja2.Environment], Any], what: str) -> Any:
    try:
        return render(_environment(letter))
    except jinja2.TemplatesNotFound as exc:
        raise TemplateProblem(
            f"no template for step '{letter.context.step}' in {letter.context.language} "
            f"(looked for {', '.join(str(n) for n in exc.templates)}); add one to templates/letters/"
        ) from None
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateProblem(f"{exc.filename or exc.name}:{exc.lineno}: template error: {exc.message}") from None
    except jinja2.UndefinedError as exc:
        raise TemplateProblem(f"{what}: {exc.message} (a variable the template uses is missing)") from None


def render_text(
    letter: Letter, *, header: bool = True, for_html: bool = False, for_markdown: bool = False
) -> RenderedText:
    """The letter's Markdown and subject, from the ledger values as they are. `for_html` makes
    every ledger value literal for the Markdown-to-HTML conversion, `for_markdown` for a
    Markdown reader (see the module docstring)."""
    ctx = replace(letter.context, header=header)
    if not for_html:  # the QR code's place is marked only where HTML draws it
        ctx = replace(ctx, payment=replace(ctx.payment, qr=None))
    if for_html:
        ctx = inert(ctx)
    elif for_markdown:
        ctx = inert(ctx, markdown_text)
    names = template_names(ctx.step, ctx.tone, ctx.language)

    def run(env: jinja2.Environment) -> RenderedText:
        template = env.select_template(names)
        module = template.make_module(ctx.as_template_vars())
        text = typeset(str(module), ctx.language)
        subject = getattr(module, "subject", None)
        if subject is None:
            raise TemplateProblem(f"{template.name}: the template sets no subject ({{% set subject = … %}})")
        return RenderedText(one_line(str(subject)), text.strip() + "\n", bool(getattr(module, "document", False)))

    result: RenderedText = _render(letter, run, names[-1])
    return result


def markdown_literal(text: str) -> str:
    """`text` as Markdown that converts to exactly `text`, HTML-escaped."""
    return html.escape(_MARKDOWN_PUNCTUATION.sub(r"\\\1", text), quote=False)


# Markdown syntax a ledger value may hold, for `markdown_text`.
_INLINE_SYNTAX = re.compile(r"([\\`*_\[\]|])")
_ENTITY_LIKE = re.compile(r"&(?=#?[0-9A-Za-z]+;)")
_LINE_START_SYNTAX = re.compile(r"^([ \t]*)(?:([#>+-])|(=)|(\d+)([.)])(?=\s|$))", re.MULTILINE)


def markdown_text(text: str) -> str:
    """`text` for a Markdown document: what a Markdown reader would take as syntax (emphasis,
    links, code, table cells, HTML, entities; headings, quotes, lists and rules at the start of
    a line) is escaped, everything else is left as it is, for a human reading the file."""
    text = _INLINE_SYNTAX.sub(r"\\\1", text)
    text = _ENTITY_LIKE.sub("&amp;", text).replace("<", "&lt;").replace("~", "&#126;")  # ~~strikethrough~~
    return _LINE_START_SYNTAX.sub(_escape_line_start, text)


def _escape_line_start(match: re.Match[str]) -> str:
    indent, mark, equals, number, dot = match.groups()
    if mark:
        return f"{indent}\\{mark}"
    if equals:
        return f"{indent}&#61;"  # a setext underline; Python-Markdown has no `\=`
    return f"{indent}{number}\\{dot}"


def inert(value: Any, literal: Callable[[str], str] = markdown_literal) -> Any:
    """A copy of the context with every free-text value made `literal` (by default, for the
    Markdown-to-HTML conversion)."""
    if isinstance(value, Keyword):
        return value
    if isinstance(value, str):
        return literal(value)
    if is_dataclass(value) and not isinstance(value, type):
        return replace(value, **{f.name: inert(getattr(value, f.name), literal) for f in fields(value)})
    if isinstance(value, tuple):
        return tuple(inert(v, literal) for v in value)
    return value


def markdown_to_html(text: str) -> Markup:
    # One converter per process, reset between documents: building one (its extensions and
    # parsers) cost a fifth of each conversion when the dashboard renders thousands of letters.
    global _CONVERTER
    if _CONVERTER is None:
        _CONVERTER = markdown.Markdown(extensions=_MARKDOWN_EXTENSIONS, output_format="html")
    try:
        return Markup(_CONVERTER.reset().convert(text))
    except BaseException:
        _CONVERTER = None  # a conversion that failed half-way leaves no state behind
        raise


_CONVERTER: markdown.Markdown | None = None


# --- formats -----------------------------------------------------------------------------------


def to_markdown(letter: Letter) -> str:
    return render_text(letter, header=True, for_markdown=True).text


def _body(letter: Letter) -> Markup:
    """The letter's body (no postal header) as HTML, ledger values inert."""
    return markdown_to_html(render_text(letter, header=False, for_html=True).text)


# --- the SEPA payment QR code --------------------------------------------------------------

QR_MARK = "<!-- payment-qr -->"
_QR_BLOCK = re.compile(re.escape(QR_MARK) + r"\s*(<table>.*?</table>)", re.DOTALL)
_QR_MODULE_MM = 0.5  # EPC069-12 codes are small (version 13 at most): 0.5 mm modules scan well
_QR_TITLE = {"fr": "QR code de paiement SEPA", "en": "SEPA payment QR code"}
_QR_CID = "payment-qr@relancegit"


def payment_qr(payload: str) -> segno.QRCode:
    """The QR code of an EPC069-12 payload: error correction level M exactly (not raised),
    byte mode in UTF-8 (the payload's character set 1), never a Micro QR code."""
    return segno.make(payload, error="m", boost_error=False, encoding="utf-8", micro=False)


def qr_svg(payload: str, language: str) -> str:
    """The QR code as an inline SVG element, in millimetres, with its quiet zone."""
    title = _QR_TITLE.get(language, _QR_TITLE["en"])
    svg: str = payment_qr(payload).svg_inline(scale=_QR_MODULE_MM, unit="mm", title=title, svgclass="payment-qr")
    return svg


def qr_png(payload: str) -> bytes:
    """The QR code as a PNG image (for e-mails), four pixels a module."""
    out = io.BytesIO()
    payment_qr(payload).save(out, kind="png", scale=4)
    return out.getvalue()


def _with_qr(body: Markup, figure: Callable[[str], str]) -> Markup:
    """The body with the marked bank-details table laid out with the QR code (`figure` gets
    the table's HTML and returns the block); without a mark, the body as it is."""
    return Markup(_QR_BLOCK.sub(lambda m: figure(m.group(1)), str(body)).replace(QR_MARK, ""))


def _qr_beside(letter: Letter) -> Callable[[str], str]:
    """HTML and PDF: the table and, on its right, the QR code as inline SVG; one block that
    never splits across pages."""
    svg = qr_svg(letter.context.payment.qr or "", letter.context.language)

    def figure(table: str) -> str:
        return (
            '<div class="payment-block" style="display: flex; align-items: center; gap: 5mm; '
            'break-inside: avoid; page-break-inside: avoid; margin: 0.4em 0 1em">'
            + table.replace("<table>", '<table style="margin: 0; flex: 1">', 1)
            + f'<div class="payment-qr" style="flex: none; line-height: 0">{svg}</div></div>'
        )

    return figure


def _qr_below(letter: Letter) -> Callable[[str], str]:
    """E-mail: the table, then the QR code as the image of a related part (`cid:`)."""
    title = html.escape(_QR_TITLE.get(letter.context.language, _QR_TITLE["en"]))

    def figure(table: str) -> str:
        size = len(payment_qr(letter.context.payment.qr or "").matrix) + 8
        return f'{table}\n<p><img src="cid:{_QR_CID}" alt="{title}" width="{size * 3}" height="{size * 3}"></p>'

    return figure


def _page(letter: Letter, template: str, header: bool, body: Markup | None = None) -> str:
    plain = render_text(letter, header=header)
    if body is None:
        body = _body(letter)
        if letter.context.payment.qr:
            body = _with_qr(body, _qr_beside(letter))
    variables = {
        **letter.context.as_template_vars(),
        "subject": plain.subject,
        "document": plain.document,
        "body": body,
    }
    result: str = _render(letter, lambda env: env.get_template(template).render(variables), template)
    return result


def to_html(letter: Letter) -> str:
    """A standalone page with its print CSS (the header blocks laid out for a window envelope)."""
    return _page(letter, "letters/page.html.j2", header=True)


def to_pdf(letter: Letter) -> bytes:
    return html_to_pdf(to_html(letter))


def html_to_pdf(page: str) -> bytes:
    from weasyprint import HTML

    pdf: bytes = HTML(string=page, url_fetcher=_refuse_fetch()).write_pdf()
    return pdf


def _refuse_fetch() -> Any:
    """Letters need no external resource: nothing is fetched (no file, no network)."""
    try:
        from weasyprint import URLFetcher
    except ImportError:  # WeasyPrint < 66: a plain function

        def refuse(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
            raise ValueError(f"letters fetch no external resource ({url})")

        return refuse

    class Refuse(URLFetcher):  # type: ignore[misc]
        def fetch(self, url: str, headers: Any = None) -> Any:
            raise ValueError(f"letters fetch no external resource ({url})")

    return Refuse()


def recipient(letter: Letter) -> Address:
    """The first contact with an e-mail address (docs/format.md: it receives e-mails)."""
    debtor = letter.context.debtor
    contact = next((c for c in debtor.contacts if c.email), None)
    if contact is None or contact.email is None:
        raise RelancegitError(
            f"client '{debtor.id}' has no contact with an e-mail address (add one under contacts: in its file)"
        )
    return _address(contact.name, contact.email, f"contact of client '{debtor.id}'")


def _address(name: str, email: str, what: str) -> Address:
    reason = email_address_problem(email.strip())
    if reason:
        shown = email.encode("unicode_escape").decode("ascii")
        raise RelancegitError(f"invalid e-mail address '{shown}' ({what}): {reason}")
    username, _, domain = email.strip().partition("@")
    try:
        return Address(display_name=one_line(name), username=username, domain=domain)
    except (ValueError, IndexError) as exc:
        raise RelancegitError(f"invalid e-mail address '{email}' ({what}): {exc}") from None


def sender(letter: Letter) -> str:
    if letter.sender:
        return letter.sender
    raise RelancegitError("no sender address: set smtp.from or creditor.email in relancegit.yaml")


def to_email(letter: Letter, sent_at: datetime | None = None) -> EmailMessage:
    """RFC 5322 message: plain text and HTML alternatives, invoice files attached."""
    ctx = letter.context
    plain = render_text(letter, header=False)
    body = _body(letter)
    qr = ctx.payment.qr
    page = _page(letter, "letters/email.html.j2", header=False, body=_with_qr(body, _qr_below(letter)) if qr else body)
    message = EmailMessage()
    message["Subject"] = plain.subject
    try:
        message["From"] = sender(letter)
    except (ValueError, IndexError) as exc:
        raise RelancegitError(f"invalid sender address '{letter.sender}' (smtp.from): {exc}") from None
    message["To"] = recipient(letter)
    if ctx.creditor.email and ctx.creditor.email not in message["From"]:
        message["Reply-To"] = _address(ctx.creditor.name, ctx.creditor.email, "creditor.email")
    message["Date"] = format_datetime(sent_at or datetime.combine(ctx.date, time(9, 0), PARIS))
    message["Message-ID"] = letter.message_id
    message["Content-Language"] = ctx.language
    message["X-Relancegit-Case"] = " ".join(ctx.cases)
    message["X-Relancegit-Step"] = ctx.step
    message.set_content(html_to_text(body), charset="utf-8")
    message.add_alternative(page, subtype="html", charset="utf-8")
    if qr:
        html_part = message.get_body(("html",))
        if html_part is not None:  # just added
            cid, name = f"<{_QR_CID}>", "payment-qr.png"
            html_part.add_related(
                qr_png(qr), maintype="image", subtype="png", cid=cid, disposition="inline", filename=name
            )
    for invoice in ctx.invoices:
        if invoice.file:
            content = invoice_file(letter.ledger_root, invoice.file, invoice.number).read_bytes()
            message.add_attachment(content, maintype="application", subtype="pdf", filename=Path(invoice.file).name)
    return message


# --- the plain-text part of an e-mail ------------------------------------------------------------

_HTML_SPACE = re.compile(r"[ \t\n\r\f]+")  # not \s: the no-break spaces of amounts and dates stay
_BLOCKS = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "pre", "div"})


class _TextReader(HTMLParser):
    """The HTML of a letter body as plain text: one paragraph per block, a blank line between
    them; `<br>` a line break; list items with `- ` (or `1. `); tables as aligned columns."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[str] = []  # finished paragraphs, tables and lists
        self.line: list[str] = []  # the inline text of the block being read
        self.lists: list[list[Any]] = []  # [tag, next number, items] of each open list
        self.quote = 0
        self.pre = 0
        self.table: list[list[tuple[str, bool]]] | None = None  # rows of (text, right-aligned)
        self.cell_right = False
        self.href: str | None = None
        self.link_text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCKS or tag in {"table", "ul", "ol", "blockquote"}:
            self._flush()
        if tag in {"ul", "ol"}:
            self.lists.append([tag, 1, []])
        elif tag == "blockquote":
            self.quote += 1
        elif tag == "pre":
            self.pre += 1
        elif tag == "br":
            self.line.append("\n")
        elif tag == "hr":
            self.blocks.append("* * *")
        elif tag == "table":
            self.table = []
        elif tag == "tr" and self.table is not None:
            self.table.append([])
        elif tag in {"td", "th"}:
            style = dict(attrs).get("style") or ""
            self.cell_right = "right" in style or dict(attrs).get("align") == "right"
        elif tag == "a":
            self.href = dict(attrs).get("href")
            self.link_text = []

    def handle_endtag(self, tag: str) -> None:
        if tag in {"td", "th"} and self.table is not None and self.table:
            self.table[-1].append((self._take(), self.cell_right))
        elif tag == "table" and self.table is not None:
            rows, self.table = self.table, None
            self._add(_columns(rows))
        elif tag == "li" and self.lists:
            kind = self.lists[-1]
            mark = f"{kind[1]}. " if kind[0] == "ol" else "- "
            kind[1] += 1
            text = self._take().replace("\n", "\n" + " " * len(mark))
            if text:
                kind[2].append(mark + text)
        elif tag in {"ul", "ol"} and self.lists:
            self._flush()
            items = self.lists.pop()[2]
            if items:
                self._add("\n".join(items))
        elif tag == "blockquote":
            self._flush()
            self.quote = max(0, self.quote - 1)
        elif tag == "pre":
            self._flush()
            self.pre = max(0, self.pre - 1)
        elif tag == "a":
            text = "".join(self.link_text)
            if self.href and self.href not in text:
                self.line.append(f" <{self.href}>")
            self.href = None
        elif tag in _BLOCKS:
            self._flush()

    def handle_data(self, data: str) -> None:
        text = data if self.pre else _HTML_SPACE.sub(" ", data)
        self.line.append(text)
        if self.href is not None:
            self.link_text.append(text)

    def _take(self) -> str:
        text = "".join(self.line)
        self.line = []
        lines = [part.strip(" ") for part in text.split("\n")] if not self.pre else text.split("\n")
        return "\n".join(lines).strip("\n")

    def _flush(self) -> None:
        text = self._take()
        if text:
            if self.lists:
                self.lists[-1][2].append(text)
            else:
                self._add(text)

    def _add(self, block: str) -> None:
        if self.quote:
            block = "\n".join("    " * self.quote + line if line else line for line in block.split("\n"))
        self.blocks.append(block)

    def text(self) -> str:
        self.close()
        self._flush()
        return "\n\n".join(self.blocks) + "\n"


def _columns(rows: list[list[tuple[str, bool]]]) -> str:
    """A table as columns two spaces apart, figures aligned on the right."""
    rows = [row for row in rows if row]
    width = max((len(row) for row in rows), default=0)
    widths = [max((len(row[i][0]) for row in rows if i < len(row)), default=0) for i in range(width)]
    lines = []
    for row in rows:
        cells = [(text.rjust(widths[i]) if right else text.ljust(widths[i])) for i, (text, right) in enumerate(row)]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def html_to_text(body: str) -> str:
    """A letter's HTML body as plain text for the text part of an e-mail."""
    reader = _TextReader()
    reader.feed(body)
    return reader.text()


def invoice_file(ledger_root: Path, relative: str, number: str) -> Path:
    """An invoice's `file`, relative to ledger/, which must stay inside it."""
    root = ledger_root.resolve()
    path = (root / relative).resolve()
    if not path.is_relative_to(root):
        raise RelancegitError(f"invoice {number}: file '{relative}' is outside the ledger folder")
    if not path.is_file():
        raise RelancegitError(f"invoice {number}: file '{relative}' not found (paths are relative to {root})")
    return path


def render(letter: Letter, fmt: str) -> bytes:
    """The letter in one of FORMATS, as bytes."""
    if fmt == "md":
        return to_markdown(letter).encode("utf-8")
    if fmt == "html":
        return to_html(letter).encode("utf-8")
    if fmt == "pdf":
        return to_pdf(letter)
    if fmt == "eml":
        from email import policy

        return to_email(letter).as_bytes(policy=policy.SMTP)
    raise RelancegitError(f"unknown format '{fmt}' (expected one of: {', '.join(FORMATS)})")
