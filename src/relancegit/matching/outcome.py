"""What a `match` run found and did, as text or JSON (docs/match.md)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from relancegit.matching.match import Proposal
from relancegit.matching.statement import Entry
from relancegit.problems import Problem, Severity

if TYPE_CHECKING:  # `apply` is imported only by --apply
    from relancegit.matching.apply import Written


@dataclass(frozen=True)
class StatementFile:
    path: Path
    sha256: str
    kind: str


@dataclass
class Outcome:
    apply: bool = False
    files: list[StatementFile] = field(default_factory=list)
    proposals: list[Proposal] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    left_out: int = 0  # ledger files with errors, left out of the matching
    written: Written | None = None

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == Severity.ERROR]

    @property
    def ok(self) -> bool:
        return not self.errors and not self.left_out

    def commit_message(self, payments: int, voids: int) -> str:
        names = ", ".join(f.path.name for f in self.files)
        subject = f"match: {payments} payment{'s' * (payments != 1)}"
        subject += f", {voids} void{'s' * (voids != 1)}" if voids else ""
        trailers = "".join(f"Relancegit-Statement: {f.path.name} sha256:{f.sha256}\n" for f in self.files)
        return f"{subject} from {names}\n\n{trailers}"

    def rows(self) -> list[dict[str, Any]]:
        """One row per payment proposed (an entry paying two cases has two), else one per entry."""
        rows = []
        for proposal in self.proposals:
            entry = proposal.entry
            shown = {
                "date": entry.date.isoformat(),
                "amount": f"{entry.amount:.2f}" if not entry.reversal else f"-{entry.amount:.2f}",
                "counterparty": entry.counterparty,
                "iban": entry.iban,
                "remittance": entry.remittance,
                "ref": entry.ref,
            }
            for case, invoice in _targets(proposal):
                reason = proposal.reason
                rows.append(
                    {
                        "entry": shown,
                        "case": case,
                        "invoice": invoice,
                        "confidence": proposal.confidence,
                        "reason": reason,
                    }
                )
        return rows

    def to_json(self) -> list[dict[str, Any]]:
        return self.rows()

    def text(self) -> list[str]:
        """The table (one row per payment proposed, the entry's columns on its first row only),
        then the summary. Made straight from the proposals: a statement has thousands."""
        table = [("date", "amount", "counterparty", "remittance", "→ case/invoice", "confidence", "reason")]
        last_ref = None
        for proposal in self.proposals:
            entry = proposal.entry
            for case, invoice in _targets(proposal):
                shown = entry_cells(entry) if entry.ref != last_ref else _BLANK
                last_ref = entry.ref
                target = f"{case}/{invoice}" if case and invoice else case or invoice or "-"
                table.append((*shown, target, proposal.confidence, proposal.reason))
        widths = [max(map(len, column)) for column in zip(*table, strict=True)]
        line = "  ".join(f"{{:{'>' if i == 1 else '<'}{w}}}" for i, w in enumerate(widths)).format
        return [line(*row).rstrip() for row in table] + self._summary()

    def _summary(self) -> list[str]:
        counts: dict[str, int] = {}
        for proposal in self.proposals:
            key = "recorded already" if proposal.recorded_in else proposal.confidence
            counts[key] = counts.get(key, 0) + 1
        order = ["reference", "amount+name", "amount", "ambiguous", "none", "recorded already"]
        parts = [f"{counts[k]} {k}" for k in order if k in counts]
        lines = [f"{len(self.proposals)} entries: " + ", ".join(parts)]
        human = sum(1 for p in self.proposals if p.confidence in ("amount", "ambiguous") and not p.recorded_in)
        if human:
            lines.append(f"{human} left for a human (amount, ambiguous): record them with 'relancegit record'")
        if self.written is not None:
            written = self.written
            done = f"recorded {_count(written.payments, 'payment')}"
            done += f" and {_count(written.voids, 'void')}" if written.voids else ""
            done += f" in {_count(len(written.files), 'case file')}"
            done += f", committed {self.written.commit}" if self.written.commit else ""
            lines.append(done)
        elif self.apply:
            lines.append("nothing recorded")
        else:
            confident = sum(1 for p in self.proposals if p.confident)
            if confident:
                lines.append(f"--apply would record {confident} of them (reference, amount+name)")
        return lines


_BLANK = ("", "", "", "")


def entry_cells(entry: Entry) -> tuple[str, str, str, str]:
    """An entry's cells in the table: date, amount (negative for a reversal), counterparty and
    remittance (both cut)."""
    amount = f"{entry.amount:.2f}" if not entry.reversal else f"-{entry.amount:.2f}"
    return entry.date.isoformat(), amount, _cut(entry.counterparty, 24), _cut(entry.remittance, 30)


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _targets(proposal: Proposal) -> list[tuple[str | None, str | None]]:
    """What a proposal's rows point at: its payments' cases and invoices, the case of the
    payment a reversal voids, or the case that recorded it already."""
    if proposal.void is not None:
        return [(proposal.void[0], None)]
    if proposal.payments:
        return [(p.case, p.invoice) for p in proposal.payments]
    return [(proposal.recorded_in, None)]


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'s' * (number != 1)}"
