"""Text for people: aligned rich tables with French amounts and dates, for `show`, `list`,
`next` and `report`.

Layer: render. Uses the words of `views` (step, status and channel labels, reasons) and the
engine's results; computes nothing new.
"""

from __future__ import annotations

import io
import re
import sys
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.segment import Segment
from rich.table import Table
from rich.text import Text

from relancegit.engine.penalties import CasePenalties
from relancegit.engine.portfolio import Portfolio
from relancegit.engine.schedule import ActionKind
from relancegit.engine.state import CaseState, prescription_alerts
from relancegit.formatting import date_short, money
from relancegit.model import Status
from relancegit.views import (
    STATUS_LABELS,
    action_label,
    channel_label,
    describe_event,
    reason,
    step_label,
)

MAX_CELL_WIDTH = 90  # long notes and dispute reasons wrap in their column
WRAPPING = frozenset({"Motif", "Note", "Événement"})  # free text: wraps first when space is short


def console() -> Console:
    """A console for standard output; wide when piped so tables never wrap mid-row."""
    terminal = sys.stdout.isatty()
    return Console(highlight=False, width=None if terminal else 200, soft_wrap=False)


def render(renderable: RenderableType, width: int = 200) -> str:
    """Plain text of a renderable (tests, files)."""
    out = Console(width=width, color_system=None, highlight=False, record=True, file=io.StringIO())
    out.print(renderable)
    return out.export_text()


def _table(*columns: str, right: Iterable[str] = ()) -> Table:
    table = Table(box=None, pad_edge=False, header_style="bold", show_edge=False)
    aligned = set(right)
    for column in columns:
        table.add_column(
            column,
            justify="right" if column in aligned else "left",
            no_wrap=column not in WRAPPING,
            overflow="fold" if column in WRAPPING else "ellipsis",
            max_width=MAX_CELL_WIDTH if column in WRAPPING else None,
        )
    return table


class _PlainTable:
    """A `_table` of plain-text cells, written line by line when every cell fits on its line.

    rich's Table measures and renders each cell through several layers (about half a
    millisecond a row): `show` of a case with 100,000 events spent a minute there. When a
    cell must wrap (a long note, a narrow terminal) or holds a control character, rich's
    Table lays the whole table out, as before. Cells are text, never rich markup: a note
    reading `[urgent]` or `:warning:` is shown as written."""

    def __init__(self, *columns: str, right: Iterable[str] = ()) -> None:
        self.columns = columns
        self.right = frozenset(right)
        self.rows: list[tuple[str, ...]] = []

    def add_row(self, *cells: str) -> None:
        self.rows.append(cells)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        lengths = self._cell_lengths()
        widths = None if lengths is None else self._widths(lengths, options.max_width)
        if lengths is None or widths is None:
            table = _table(*self.columns, right=self.right)
            for row in self.rows:
                table.add_row(*(Text(cell) for cell in row))
            yield table
            return
        header = self._line(self.columns, [length[0] for length in lengths], widths)
        yield Segment(header, console.get_style("bold"))
        yield _NEWLINE
        for index, row in enumerate(self.rows, start=1):  # a segment a line: rich splits a long one slowly
            yield Segment(self._line(row, [length[index] for length in lengths], widths) + "\n")

    def _cell_lengths(self) -> list[list[int]] | None:
        """Each column's cell widths on screen, header first; None if a cell holds a tab or a
        newline (rich's own layout handles those)."""
        lengths = []
        for index, column in enumerate(self.columns):
            texts = [column, *(row[index] for row in self.rows)]
            if any(_CONTROL.search(text) for text in texts):
                return None
            lengths.append([cell_len(text) for text in texts])
        return lengths

    def _widths(self, lengths: list[list[int]], max_width: int) -> list[int] | None:
        """Each column's width as rich's Table makes it, or None when a cell must wrap."""
        widths = [max(column) for column in lengths]
        if any(c in WRAPPING and w > MAX_CELL_WIDTH for c, w in zip(self.columns, widths, strict=True)):
            return None
        if sum(widths) + len(_GAP) * (len(widths) - 1) > max_width:
            return None
        return widths

    def _line(self, cells: Sequence[str], lengths: list[int], widths: list[int]) -> str:
        parts = []
        for cell, length, width, column in zip(cells, lengths, widths, self.columns, strict=True):
            fill = " " * (width - length)
            parts.append(fill + cell if column in self.right else cell + fill)
        return _GAP.join(parts)


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")  # tabs, newlines…: rich's own layout handles them
_GAP = "  "  # a column's right padding and the next one's left padding
_NEWLINE = Segment("\n")


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


def list_text(states: list[CaseState]) -> RenderableType:
    table = _table(
        "Dossier",
        "Client",
        "Solde",
        "Retard",
        "Statut",
        "Prochaine action",
        "Action",
        "Canal",
        right=("Solde", "Retard"),
    )
    for s in states:
        when, what, channel = _action_cells(s)
        table.add_row(
            s.id,
            s.client.name,
            money(s.balance),
            f"{s.days_overdue} j" if s.days_overdue else "",
            STATUS_LABELS[s.status],
            when,
            what,
            channel,
        )
    total = sum((max(s.balance, Decimal(0)) for s in states), Decimal(0))
    footer = Text(
        f"{len(states)} dossier{'s' if len(states) > 1 else ''}, solde total {money(total)} (« ! » : action due)"
    )
    return Group(table, Text(""), footer)


def next_text(states: list[CaseState], today: date, everything: list[CaseState] | None = None) -> RenderableType:
    """The agenda table; `everything` (all case states) adds the prescriptions coming close."""
    alerts = prescription_alerts(everything or states, today)
    if not states:
        return Group(Text(f"Rien à faire au {date_short(today)}."), *_alert_lines(alerts))
    by_client: dict[str, list[CaseState]] = defaultdict(list)
    for s in states:
        by_client[s.case.client].append(s)
    table = _table("Date", "Dossier", "Client", "Action", "Canal", "Solde", "Motif", right=("Solde",))
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
        Text(f"À faire au {date_short(today)} : {len(states)} action{'s' if len(states) > 1 else ''}", style="bold"),
        table,
    ]
    grouped = {c: v for c, v in by_client.items() if len(v) > 1}
    if grouped:
        parts.append(Text(""))
        parts.append(
            Text(
                "Plusieurs dossiers pour le même client ([+n] ci-dessus) : un seul appel "
                "ou une lettre groupée (relancegit letter --client …)"
            )
        )
        for client_id, group in sorted(grouped.items()):
            total = sum((s.balance for s in group), Decimal(0))
            ids = ", ".join(s.id for s in group)
            parts.append(Text(f"  • {group[0].client.name} ({client_id}) : {ids} — {money(total)}"))
    parts.extend(_alert_lines(alerts))
    return Group(*parts)


def _alert_lines(alerts: list[CaseState]) -> list[RenderableType]:
    lines: list[RenderableType] = [Text("")] if alerts else []
    for s in alerts:
        if s.deadlines.prescription is not None:
            lines.append(
                Text(f"⚠ {s.id} ({s.client.name}) : prescription le {date_short(s.deadlines.prescription)}, agir avant")
            )
    return lines


def show_text(state: CaseState) -> RenderableType:
    alloc, pen, dl = state.allocation, state.penalties, state.deadlines
    head = Text(f"Dossier {state.id} — {state.client.name} ({state.case.client})", style="bold")
    summary = _table("", "")
    summary.show_header = False
    summary.add_row("Statut", STATUS_LABELS[state.status])
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

    invoices = _table(
        "Facture", "Date", "Échéance", "Montant", "Reste dû", "Intérêts", right=("Montant", "Reste dû", "Intérêts")
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
    parts.append(Text("Pénalités (non ajoutées au solde) : " + _penalties_line(pen, state.client.type)))
    action = state.next_action
    if action is None:
        parts.append(Text("Prochaine action : aucune"))
    else:
        due = " (à faire)" if action.is_due(state.today) else ""
        channel = f" — {channel_label(action.channel.value)}" if action.channel else ""
        what = reason(state) if action.kind == ActionKind.STEP else f"{action_label(action)} : {reason(state)}"
        parts.append(Text(f"Prochaine action : {date_short(action.date)}{due} — {what}{channel}"))
    deadline_parts = []
    if dl.prescription:
        deadline_parts.append(f"prescription {date_short(dl.prescription)}")
    if dl.escalation:
        deadline_parts.append(f"seuil d'escalade {date_short(dl.escalation)}")
    if dl.formal_notice:
        deadline_parts.append(f"fin du délai de la mise en demeure {date_short(dl.formal_notice)}")
    parts.append(Text("Délais : " + (", ".join(deadline_parts) if deadline_parts else "aucun")))
    parts.append(Text(""))
    timeline = _PlainTable("Date", "Événement", "Note")
    for event in state.case.events:
        later = " (à venir, ignoré)" if event.date > state.today else ""
        timeline.add_row(date_short(event.date), describe_event(event) + later, event.note or "")
    parts.append(Text("Historique", style="bold"))
    parts.append(timeline if state.case.events else Text("(aucun événement)"))
    return Group(*parts)


def _penalties_line(pen: CasePenalties, debtor: str) -> str:
    what = "intérêts au taux légal depuis la mise en demeure" if debtor == "consumer" else "intérêts de retard"
    if pen.interest is None:
        interest = f"{what} inconnus (taux manquant : {', '.join(pen.missing_rates)} — voir 'relancegit check')"
    else:
        interest = f"{what} {money(pen.interest)}"
    if debtor == "consumer":
        # CPCE L111-8: amicable collection costs stay with the creditor.
        return f"{interest}, pas d'indemnité forfaitaire (consommateur)"
    return f"{interest}, indemnité forfaitaire {money(pen.indemnity)}"


def report_text(figures: Portfolio) -> RenderableType:
    head = _table("Indicateur", "Valeur", right=("Valeur",))
    head.show_header = False
    head.add_row("Encours", money(figures.outstanding))
    head.add_row("Échu", money(figures.overdue))
    head.add_row("DSO", f"{figures.dso} j" if figures.dso is not None else "—")
    rate = f"{figures.recovery_rate * 100:.1f} %".replace(".", ",") if figures.recovery_rate is not None else "—"
    head.add_row("Taux de recouvrement (12 mois)", rate)

    aging = _table("Ancienneté", "Montant", right=("Montant",))
    names = {"not_due": "non échu", "1-30": "1–30 j", "31-60": "31–60 j", "61-90": "61–90 j", "90+": "plus de 90 j"}
    for bucket, amount in figures.aging.items():
        aging.add_row(names[bucket], money(amount))

    status = _table("Statut", "Dossiers", "Solde", right=("Dossiers", "Solde"))
    for key, total in figures.by_status.items():
        if total.count:
            status.add_row(STATUS_LABELS[Status(key)], str(total.count), money(total.balance))

    steps = _table(
        "Étape",
        "Canal",
        "Actions",
        "Payé sous 14 j",
        "Délai médian",
        right=("Actions", "Payé sous 14 j", "Délai médian"),
    )
    for e in (*figures.steps, *figures.channels):
        label = "(tous)" if e.step == "*" else step_label(e.step)
        median = f"{e.median_days_to_pay:g} j".replace(".", ",") if e.median_days_to_pay is not None else "—"
        steps.add_row(label, channel_label(e.channel), str(e.count), str(e.paid_within_14d), median)

    exposure = _table("Client", "Encours", "Plafond", "", right=("Encours", "Plafond"))
    for x in figures.exposures:
        limit = money(x.credit_limit) if x.credit_limit is not None else "—"
        exposure.add_row(x.client, money(x.exposure), limit, "dépassé" if x.over_limit else "")

    late = ", ".join(figures.recurring_late_clients) or "aucun"
    return Group(
        Text(f"Portefeuille au {date_short(figures.today)}", style="bold"),
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
        Text(f"Clients en retard récurrent (≥ 2 dossiers à plus de 30 j) : {late}"),
    )
