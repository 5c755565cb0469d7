"""Text for people: aligned rich tables with French amounts and dates, for `show`, `list`,
`next` and `report`, laid out for the terminal's width.

Layer: render. Uses the words of `views` (step, status and channel labels, reasons) and the
engine's results; computes nothing new.

How a table fits the width (the terminal's, or COLUMNS; `Fitted.layout`):
1. Ids, dates, amounts and counts are never cut nor folded; text (client names, labels,
   reasons, notes) folds at plain spaces only, so "1 500,00 €" never breaks.
2. Too wide: text columns fold, one cell at a time where it costs the fewest extra lines,
   never narrower than a few words (a reason: 30 columns, a note: 24, a name or label: 14).
3. Still too wide: the reason of `next` (the note of `show`) leaves the table for an
   indented line under its row. It also does so when that takes fewer lines than folding.
4. Still too wide: columns are dropped by priority: `next` drops the channel, then the
   client; `list` drops the channel, then the action (its date stays).
5. Still too wide: the table is printed at its narrowest, wider than the terminal, which
   wraps the lines; nothing is ever cut.
`--wide` skips all this: every column at its natural width. Not a terminal (a pipe, a file):
200 columns as before, so scripts that parse the text keep working; `--format json` is
unaffected.
"""

from __future__ import annotations

import io
import re
import sys
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from rich.cells import cell_len as rich_cell_len
from rich.console import Console, ConsoleOptions, Group, JustifyMethod, RenderableType, RenderResult
from rich.segment import Segment
from rich.table import Table
from rich.text import Text

from relancegit.engine.penalties import CasePenalties
from relancegit.engine.portfolio import Portfolio
from relancegit.engine.schedule import ActionKind
from relancegit.engine.state import CaseState, prescription_alerts
from relancegit.engine.voids import cancelled
from relancegit.model import Status
from relancegit.render.formatting import date_short, money
from relancegit.render.views import (
    action_label,
    channel_label,
    describe_event,
    describe_voided,
    reason,
    status_label,
    step_label,
)

MAX_CELL_WIDTH = 90  # free text (reasons, notes) folds beyond this, except with --wide
FOLD_MIN = 24  # free text folds no narrower: several words a line, never one
REASON_MIN = 30  # a next action's reason folds no narrower, else it goes under its row
LABEL_MIN = 14  # names and labels (client, action, step) fold no narrower
STATUS_MIN = 10  # "passé en perte" may fold; "échéancier" is the longest word
PIPE_WIDTH = 200  # not a terminal: today's full width, so scripts parsing the text keep working
INDENT = "    "  # a reason put under its row
GAP = 2  # spaces between two columns
SAMPLE_ROWS = 500  # folding is weighed on the first rows only (a timeline may have 100,000)


# Characters rich measures one cell wide, which are nearly all a French table holds: ASCII,
# Latin-1 and Latin Extended letters, dashes and quotes, narrow no-break space, the euro sign
# (tests/test_tables.py checks each against rich). A text made only of them is as wide as
# it is long; anything else (CJK, emoji, combining marks, controls) is measured by rich.
_ONE_CELL = re.compile("[\x20-\x7e\xa0-\u02ff\u2010-\u2027\u202f\u20ac]*")


def cell_len(text: str) -> int:
    """Terminal cells `text` takes (rich's measure; its per-character lookup skipped for the
    common characters: a 10,000-row agenda measures its cells about 200,000 times)."""
    if _ONE_CELL.fullmatch(text):
        return len(text)
    return rich_cell_len(text)


def console() -> Console:
    """A console for standard output: the terminal's width (or COLUMNS), 200 when piped."""
    terminal = sys.stdout.isatty()
    return Console(highlight=False, width=None if terminal else PIPE_WIDTH, soft_wrap=False)


def render(renderable: RenderableType, width: int = PIPE_WIDTH) -> str:
    """Plain text of a renderable (tests, files)."""
    out = Console(width=width, color_system=None, highlight=False, record=True, file=io.StringIO())
    out.print(renderable, crop=False)
    return out.export_text()


def wrap(text: str, width: int) -> list[str]:
    """Lines of at most `width` cells, broken at plain spaces only: the narrow and no-break
    spaces inside amounts ("1 500,00 €") never break, and a word wider than `width` stays
    whole on its own line (never cut)."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split(" "):
            if line and cell_len(line) + 1 + cell_len(word) > width:
                lines.append(line)
                line = word
            else:
                line = f"{line} {word}" if line else word
        lines.append(line)
    return lines


def _longest_word(text: str) -> int:
    return max((cell_len(word) for word in text.split(" ")), default=0)


class Prose:
    """A paragraph wrapped to the console's width at plain spaces only (see `wrap`); the
    first line starts with `indent`, the others with `hang`."""

    def __init__(self, text: str, style: str = "", indent: str = "", hang: str = "") -> None:
        self.text, self.style, self.indent, self.hang = text, style, indent, hang

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        first, *rest = wrap(self.text, max(options.max_width - cell_len(self.indent), FOLD_MIN))
        if rest:
            rest = wrap(" ".join(rest), max(options.max_width - cell_len(self.hang), FOLD_MIN))
        for number, line in enumerate([first, *rest]):
            margin = self.hang if number else self.indent
            yield Text(margin + line, style=self.style, no_wrap=True, overflow="ignore")


@dataclass(frozen=True)
class Column:
    """How a column gives way when the terminal is narrow.

    `fold`: 0 for ids, dates, amounts and counts, which are never cut nor folded (only a long
    header may fold at its spaces); else the narrowest width the text folds to. `cap`: free
    text folds beyond this width even when there is room (not with --wide). `drop`: columns
    are dropped in this order (1 first) when folding is not enough; 0: never. `below`: the
    column may leave the table for an indented line under its row."""

    header: str
    right: bool = False
    fold: int = 0
    cap: int | None = None
    drop: int = 0
    below: bool = False


@dataclass(frozen=True)
class _Layout:
    shown: list[int]
    widths: list[int]
    below: int | None


class Fitted:
    """A table laid out for the width it is given, the way the module docstring says."""

    def __init__(self, *columns: Column, wide: bool = False) -> None:
        self.columns = columns
        self.wide = wide
        self.header = True
        self.rows: list[tuple[str, ...]] = []
        self._heights: dict[tuple[int, int], int] = {}

    def add_row(self, *cells: str) -> None:
        self.rows.append(cells)

    def _bounds(self) -> tuple[list[int], list[int]]:
        """Each column's natural and narrowest widths."""
        natural, narrowest = [], []
        for i, column in enumerate(self.columns):
            cells = [row[i] for row in self.rows]
            longest = max((cell_len(line) for cell in cells for line in cell.split("\n")), default=0)
            words = max((_longest_word(cell) for cell in cells), default=0)
            full = max(cell_len(column.header), longest)
            if column.cap is not None and not self.wide:
                full = min(full, max(column.cap, words, _longest_word(column.header)))
            natural.append(full)
            if column.fold:
                narrowest.append(max(words, _longest_word(column.header), min(column.fold, full)))
            else:
                narrowest.append(max(longest, _longest_word(column.header)))
        return natural, narrowest

    def layout(self, width: int) -> _Layout:
        """Which columns, how wide, and which one goes under its row (see the module docstring)."""
        natural, narrowest = self._bounds()
        shown = list(range(len(self.columns)))
        if self.wide:
            return _Layout(shown, natural, None)
        below: int | None = None
        while True:
            widths = self._shrink(shown, [natural[i] for i in shown], [narrowest[i] for i in shown], width)
            movable = [i for i in shown if self.columns[i].below] if below is None else []
            if widths is not None:
                folded = _Layout(list(shown), widths, below)
                if not movable:
                    return folded
                # The reason folded in the table, or under its row: whichever takes fewer lines.
                rest = [i for i in shown if i != movable[0]]
                under = self._shrink(rest, [natural[i] for i in rest], [narrowest[i] for i in rest], width)
                if under is None:
                    return folded
                moved = _Layout(rest, under, movable[0])
                return moved if self._height(moved, width) < self._height(folded, width) else folded
            droppable = [i for i in shown if self.columns[i].drop]
            if movable:
                below = movable[0]
                shown.remove(below)
            elif droppable:
                shown.remove(min(droppable, key=lambda i: self.columns[i].drop))
            else:  # wider than the terminal even so: the terminal wraps the lines, nothing is cut
                return _Layout(shown, [narrowest[i] for i in shown], below)

    def _height(self, plan: _Layout, width: int) -> int:
        """Lines the (first SAMPLE_ROWS) rows take in this layout."""
        total = 0
        for row in self.rows[:SAMPLE_ROWS]:
            total += max((len(wrap(row[i], w)) for i, w in zip(plan.shown, plan.widths, strict=True)), default=1)
            if plan.below is not None and row[plan.below]:
                total += len(wrap(row[plan.below], width - len(INDENT)))
        return total

    def _lines(self, column: int, width: int) -> int:
        """Lines taken by a column's header and (first SAMPLE_ROWS) cells at this width."""
        key = (column, width)
        if key not in self._heights:
            texts = [self.columns[column].header, *(row[column] for row in self.rows[:SAMPLE_ROWS])]
            self._heights[key] = sum(len(wrap(text, width)) for text in texts)
        return self._heights[key]

    def _shrink(self, shown: list[int], natural: list[int], narrowest: list[int], width: int) -> list[int] | None:
        """Widths within `width`: one cell at a time, from the column where it adds the fewest
        lines (the widest on a tie); None if even the narrowest widths do not fit."""
        widths = list(natural)
        excess = sum(widths) + GAP * (len(widths) - 1) - width
        while excess > 0:
            candidates = [k for k, w in enumerate(widths) if w > narrowest[k]]
            if not candidates:
                return None

            def cost(k: int) -> tuple[int, int]:
                column = shown[k]
                return self._lines(column, widths[k] - 1) - self._lines(column, widths[k]), -widths[k]

            cheapest = min(candidates, key=cost)
            widths[cheapest] -= 1
            excess -= 1
        return widths

    def _plain_lines(self, plan: _Layout) -> tuple[str, list[str]] | None:
        """The header and row lines when every header and cell fits its column on one line
        (the usual case, and a 100,000-event timeline's): rich's Table costs about half a
        millisecond a row. None when something folds: then rich lays the table out."""
        columns = [(self.columns[i], i, w) for i, w in zip(plan.shown, plan.widths, strict=True)]
        for column, _, width in columns:
            if "\n" in column.header or cell_len(column.header) > width:
                return None
        gap = " " * GAP
        lines = []
        for row in self.rows:
            cells = []
            for column, i, width in columns:
                cell = row[i]
                if "\n" in cell or "\t" in cell or cell_len(cell) > width:
                    return None
                cells.append(_pad(cell, width, column.right))
            lines.append(gap.join(cells))
        header = gap.join(_pad(column.header, width, column.right) for column, _, width in columns)
        return header, lines

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        plan = self.layout(options.max_width)
        fast = self._plain_lines(plan)
        if fast is not None:  # every cell on one line: written directly, as rich would lay it out
            header, plain = fast
            if self.header:
                yield Segment(header, console.get_style("bold"))
                yield Segment.line()
            for row, line in zip(self.rows, plain, strict=True):
                yield Segment(line)  # a segment a line: rich splits one long segment slowly
                yield Segment.line()
                if plan.below is not None and row[plan.below]:
                    yield Prose(row[plan.below], indent=INDENT, hang=INDENT)
            return
        table = Table(box=None, pad_edge=False, header_style="bold", show_edge=False, show_header=self.header)
        headers = 0
        for i, width in zip(plan.shown, plan.widths, strict=True):
            column = self.columns[i]
            header = "\n".join(wrap(column.header, width))
            headers = max(headers, header.count("\n") + 1 if self.header else 0)
            justify: JustifyMethod = "right" if column.right else "left"
            # Every line fits its column by construction; "fold" rather than an ellipsis, in case.
            table.add_column(header, justify=justify, width=width, no_wrap=True, overflow="fold")
        heights = []
        for row in self.rows:
            cells = [_fold(row[i], width) for i, width in zip(plan.shown, plan.widths, strict=True)]
            heights.append(max(cell.count("\n") + 1 for cell in cells) if cells else 1)
            table.add_row(*map(Text, cells))  # Text: a note's "[...]" is not rich markup
        total = sum(plan.widths) + GAP * (len(plan.widths) - 1)
        inner = options.update_width(max(total, 1))
        if plan.below is None:  # rendered at its own width, which may exceed the terminal's
            yield from console.render(table, inner)
            return
        lines = console.render_lines(table, inner, pad=False)
        yield from _segments(lines[:headers])
        at = headers
        for row, height in zip(self.rows, heights, strict=True):
            yield from _segments(lines[at : at + height])
            at += height
            if row[plan.below]:
                yield Prose(row[plan.below], indent=INDENT, hang=INDENT)


def _pad(text: str, width: int, right: bool) -> str:
    fill = " " * (width - cell_len(text))
    return fill + text if right else text + fill


def _fold(text: str, width: int) -> str:
    return text if "\n" not in text and cell_len(text) <= width else "\n".join(wrap(text, width))


def _segments(lines: list[list[Segment]]) -> Iterator[Segment]:
    for line in lines:
        yield from line
        yield Segment.line()


def _action_cells(state: CaseState) -> tuple[str, str, str]:
    action = state.next_action
    if action is None:
        return "", "—", ""
    mark = " !" if action.is_due(state.today) else ""
    return (
        date_short(action.date) + mark,
        action_label(action),
        channel_label(action.channel.value if action.channel else None),
    )


def list_text(states: list[CaseState], wide: bool = False) -> RenderableType:
    table = Fitted(
        Column("Dossier"),
        Column("Client", fold=LABEL_MIN),
        Column("Solde", right=True),
        Column("Retard", right=True),
        Column("Statut", fold=STATUS_MIN),
        Column("Prochaine action"),
        Column("Action", fold=LABEL_MIN, drop=2),
        Column("Canal", drop=1),
        wide=wide,
    )
    for s in states:
        when, what, channel = _action_cells(s)
        table.add_row(
            s.id,
            s.client.name,
            money(s.balance),
            f"{s.days_overdue} j" if s.days_overdue else "",
            status_label(s.status),
            when,
            what,
            channel,
        )
    total = sum((max(s.balance, Decimal(0)) for s in states), Decimal(0))
    footer = Prose(
        f"{len(states)} dossier{'s' if len(states) > 1 else ''}, solde total {money(total)} (« ! » : action due)"
    )
    return Group(table, Text(""), footer)


def next_text(
    states: list[CaseState], today: date, everything: list[CaseState] | None = None, wide: bool = False
) -> RenderableType:
    """The agenda table; `everything` (all case states) adds the prescriptions coming close."""
    alerts = prescription_alerts(everything or states, today)
    if not states:
        return Group(Prose(f"Rien à faire au {date_short(today)}."), *_alert_lines(alerts))
    by_client: dict[str, list[CaseState]] = defaultdict(list)
    for s in states:
        by_client[s.case.client].append(s)
    table = Fitted(
        Column("Date"),
        Column("Dossier"),
        Column("Client", fold=LABEL_MIN, drop=2),
        Column("Action", fold=LABEL_MIN),
        Column("Canal", drop=1),
        Column("Solde", right=True),
        Column("Motif", fold=REASON_MIN, cap=MAX_CELL_WIDTH, below=True),
        wide=wide,
    )
    for s in states:
        action = s.next_action
        assert action is not None
        late = (today - action.date).days
        when = date_short(action.date) + (f" (+{late} j)" if late > 0 else "")
        others = len(by_client[s.case.client]) - 1
        client = s.client.name + (f" [+{others}]" if others else "")
        table.add_row(
            when,
            s.id,
            client,
            action_label(action),
            channel_label(action.channel.value if action.channel else None),
            money(s.balance),
            reason(s),
        )
    parts: list[RenderableType] = [
        Prose(f"À faire au {date_short(today)} : {len(states)} action{'s' if len(states) > 1 else ''}", style="bold"),
        table,
    ]
    grouped = {c: v for c, v in by_client.items() if len(v) > 1}
    if grouped:
        parts.append(Text(""))
        parts.append(
            Prose(
                "Plusieurs dossiers pour le même client ([+n] ci-dessus) : un seul appel "
                "ou une lettre groupée (relancegit letter --client …)"
            )
        )
        for client_id, group in sorted(grouped.items()):
            total = sum((s.balance for s in group), Decimal(0))
            ids = ", ".join(s.id for s in group)
            line = f"• {group[0].client.name} ({client_id}) : {ids} — {money(total)}"
            parts.append(Prose(line, indent="  ", hang=INDENT))
    parts.extend(_alert_lines(alerts))
    return Group(*parts)


def _alert_lines(alerts: list[CaseState]) -> list[RenderableType]:
    lines: list[RenderableType] = [Text("")] if alerts else []
    for s in alerts:
        if s.deadlines.prescription is not None:
            lines.append(
                Prose(
                    f"⚠ {s.id} ({s.client.name}) : prescription le {date_short(s.deadlines.prescription)}, agir avant",
                    hang="  ",
                )
            )
    return lines


def _pairs(value: Column, wide: bool) -> Fitted:
    """A two-column table without header: label, value."""
    table = Fitted(Column(""), value, wide=wide)
    table.header = False
    return table


def show_text(state: CaseState, wide: bool = False) -> RenderableType:
    alloc, pen, dl = state.allocation, state.penalties, state.deadlines
    head = Prose(f"Dossier {state.id} — {state.client.name} ({state.case.client})", style="bold")
    summary = _pairs(Column("", fold=FOLD_MIN), wide)
    summary.add_row("Statut", status_label(state.status))
    summary.add_row("Total", money(alloc.total))
    summary.add_row("Payé", money(alloc.paid))
    if alloc.credited:
        summary.add_row("Avoirs", money(alloc.credited))
    if alloc.written_off:
        summary.add_row("Passé en perte", money(alloc.written_off))
    summary.add_row("Solde", money(alloc.balance))
    summary.add_row(
        "Échéance de référence",
        date_short(state.reference_due) + (f" ({state.days_overdue} j de retard)" if state.days_overdue else ""),
    )

    invoices = Fitted(
        Column("Facture"),
        Column("Date"),
        Column("Échéance"),
        Column("Montant", right=True),
        Column("Reste dû", right=True),
        Column("Intérêts", right=True),
        wide=wide,
    )
    for inv in alloc.invoices:
        p = pen.for_invoice(inv.invoice.number)
        interest = money(p.interest) if p is not None and p.interest is not None else "inconnu"
        invoices.add_row(
            inv.invoice.number,
            date_short(inv.invoice.date),
            date_short(inv.invoice.due),
            money(inv.invoice.amount),
            money(inv.balance),
            interest,
        )

    parts: list[RenderableType] = [head, summary, Text(""), invoices, Text("")]
    parts.append(Prose("Pénalités (non ajoutées au solde) : " + _penalties_line(pen, state.client.type)))
    action = state.next_action
    if action is None:
        parts.append(Prose("Prochaine action : aucune"))
    else:
        due = " (à faire)" if action.is_due(state.today) else ""
        channel = f" — {channel_label(action.channel.value)}" if action.channel else ""
        what = reason(state) if action.kind == ActionKind.STEP else f"{action_label(action)} : {reason(state)}"
        parts.append(Prose(f"Prochaine action : {date_short(action.date)}{due} — {what}{channel}"))
    deadline_parts = []
    if dl.prescription:
        deadline_parts.append(f"prescription {date_short(dl.prescription)}")
    if dl.escalation:
        deadline_parts.append(f"seuil d'escalade {date_short(dl.escalation)}")
    if dl.formal_notice:
        deadline_parts.append(f"fin du délai de la mise en demeure {date_short(dl.formal_notice)}")
    parts.append(Prose("Délais : " + (", ".join(deadline_parts) if deadline_parts else "aucun")))
    parts.append(Text(""))
    timeline = Fitted(
        Column("Date"),
        Column("Événement", fold=FOLD_MIN, cap=MAX_CELL_WIDTH),
        Column("Note", fold=FOLD_MIN, cap=MAX_CELL_WIDTH, below=True),
        wide=wide,
    )
    gone = cancelled(state.case, state.today)
    for position, event in enumerate(state.case.events):
        later = " (à venir, ignoré)" if event.date > state.today else ""
        text = describe_event(event) + later
        if position in gone:  # cancelled by a later void: say when and why
            text = f"✗ {text} ({describe_voided(gone[position])})"
        timeline.add_row(date_short(event.date), text, event.note or "")
    parts.append(Text("Historique", style="bold"))
    parts.append(timeline if state.case.events else Text("(aucun événement)"))
    return Group(*parts)


def _penalties_line(pen: CasePenalties, debtor: str) -> str:
    what = "intérêts au taux légal depuis la mise en demeure" if debtor == "consumer" else "intérêts de retard"
    if pen.interest is None:
        interest = f"{what} inconnus (taux manquant : {', '.join(pen.missing_rates)} — voir 'relancegit rates')"
    else:
        interest = f"{what} {money(pen.interest)}"
    if debtor == "consumer":
        # CPCE L111-8: amicable collection costs stay with the creditor.
        return f"{interest}, pas d'indemnité forfaitaire (consommateur)"
    return f"{interest}, indemnité forfaitaire {money(pen.indemnity)}"


def client_labels(names: Mapping[str, str]) -> dict[str, str]:
    """What to call each client in text: its name, with its id when another client has the
    same name (case-insensitive)."""
    seen = Counter(name.casefold() for name in names.values())
    return {cid: name if seen[name.casefold()] == 1 else f"{name} ({cid})" for cid, name in names.items()}


def report_text(figures: Portfolio, names: Mapping[str, str] | None = None, wide: bool = False) -> RenderableType:
    """The portfolio; `names` (client id → name) names the clients, else their ids show."""
    called = client_labels(names or {})
    head = _pairs(Column("", right=True), wide)
    head.add_row("Encours", money(figures.outstanding))
    head.add_row("Échu", money(figures.overdue))
    head.add_row("DSO", f"{figures.dso} j" if figures.dso is not None else "—")
    rate = f"{figures.recovery_rate * 100:.1f} %".replace(".", ",") if figures.recovery_rate is not None else "—"
    head.add_row("Taux de recouvrement (12 mois)", rate)

    aging = Fitted(Column("Ancienneté"), Column("Montant", right=True), wide=wide)
    buckets = {"not_due": "non échu", "1-30": "1–30 j", "31-60": "31–60 j", "61-90": "61–90 j", "90+": "plus de 90 j"}
    for bucket, amount in figures.aging.items():
        aging.add_row(buckets[bucket], money(amount))

    status = Fitted(Column("Statut"), Column("Dossiers", right=True), Column("Solde", right=True), wide=wide)
    for key, total in figures.by_status.items():
        if total.count:
            status.add_row(status_label(Status(key)), str(total.count), money(total.balance))

    steps = Fitted(
        Column("Étape", fold=LABEL_MIN),
        Column("Canal"),
        Column("Actions", right=True),
        Column("Payé sous 14 j", right=True),
        Column("Délai médian", right=True),
        wide=wide,
    )
    for e in (*figures.steps, *figures.channels):
        label = "(tous)" if e.step == "*" else step_label(e.step)
        median = f"{e.median_days_to_pay:g} j".replace(".", ",") if e.median_days_to_pay is not None else "—"
        steps.add_row(label, channel_label(e.channel), str(e.count), str(e.paid_within_14d), median)

    exposure = Fitted(
        Column("Client", fold=LABEL_MIN),
        Column("Encours", right=True),
        Column("Plafond", right=True),
        Column(""),
        wide=wide,
    )
    for x in figures.exposures:
        limit = money(x.credit_limit) if x.credit_limit is not None else "—"
        exposure.add_row(called.get(x.client, x.client), money(x.exposure), limit, "dépassé" if x.over_limit else "")

    late = ", ".join(called.get(c, c) for c in figures.recurring_late_clients) or "aucun"
    return Group(
        Prose(f"Portefeuille au {date_short(figures.today)}", style="bold"),
        head,
        Text(""),
        aging,
        Text(""),
        status,
        Text(""),
        steps,
        Text(""),
        exposure,
        Text(""),
        Prose(f"Clients en retard récurrent (≥ 2 dossiers à plus de 30 j) : {late}", hang=INDENT),
    )
