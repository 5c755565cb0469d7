"""What an import did (or would do, with `--dry-run`), for people and for programs.

Layer: values -> text and JSON; nothing computed here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from relancegit.importing.plan import Plan
from relancegit.importing.write import SourceFile
from relancegit.problems import Problem, Severity


@dataclass
class Outcome:
    dry_run: bool = False
    files: list[SourceFile] = field(default_factory=list)
    plan: Plan = field(default_factory=Plan)
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    paid: list[str] = field(default_factory=list)
    written: bool = False
    commit: str | None = None
    skipped_errors: bool = False
    # --guess: (file, field -> column, delimiter, encoding, headers)
    guesses: list[tuple[Path, dict[str, str], str, str, list[str]]] = field(default_factory=list)

    def add_problems(self, problems: Iterable[Problem]) -> None:
        self.problems.extend(problems)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == Severity.ERROR]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == Severity.WARNING]

    @property
    def ok(self) -> bool:
        return self.skipped_errors or not self.errors

    def commit_message(self) -> str:
        plan = self.plan
        names = ", ".join(f.path.name for f in self.files)
        subject = f"import: {len(plan.cases)} case{'s' * (len(plan.cases) != 1)}, "
        subject += f"{len(plan.clients)} client{'s' * (len(plan.clients) != 1)} from {names}"
        trailers = "".join(f"Relancegit-Import: {f.path.name} sha256:{f.sha256}\n" for f in self.files)
        return f"{subject}\n\n{trailers}"

    # --- output --------------------------------------------------------------------------------

    def to_json(self, root: Path, cwd: Path | None = None) -> Any:
        if self.guesses:
            return [
                {"file": str(path), "columns": columns, "delimiter": delimiter, "encoding": encoding, "header": headers}
                for path, columns, delimiter, encoding, headers in self.guesses
            ]
        plan = self.plan

        def where(file: Path, line: int) -> dict[str, object]:
            return {"file": str(file), "line": line}

        return {
            "ok": self.ok,
            "dry_run": self.dry_run,
            "written": self.written,
            "commit": self.commit,
            "files": [{"file": str(f.path), "format": f.kind, "sha256": f.sha256} for f in self.files],
            "clients": [
                {"id": c.id, "name": c.buyer.name, "file": _relative(c.path, root), **where(c.first.file, c.first.line)}
                for c in plan.clients
            ],
            "cases": [
                {
                    "id": c.id,
                    "client": c.client,
                    "file": _relative(c.path, root),
                    "invoices": [
                        {
                            "number": i.number,
                            "date": i.date.isoformat(),
                            "due": i.due.isoformat(),
                            "amount": f"{i.amount:.2f}",
                            "net": None if i.net is None else f"{i.net:.2f}",
                            "paid": f"{sum(p.amount for p in i.payments):.2f}",
                            "due_from": i.due_note,
                            **where(i.file, i.line),
                        }
                        for i in c.invoices
                    ],
                    "credit_notes": [n.number for n in c.credit_notes],
                }
                for c in plan.cases
            ],
            "matched": plan.matched,
            "skipped": [
                {"invoice": s.invoice.number, "case": s.case, **where(s.invoice.file, s.invoice.line)}
                for s in plan.skipped
            ],
            "conflicts": [
                {
                    "invoice": c.invoice.number,
                    "case": c.case,
                    "amount": f"{c.invoice.amount:.2f}",
                    "ledger_amount": None if c.ledger_amount is None else f"{c.ledger_amount:.2f}",
                    **where(c.invoice.file, c.invoice.line),
                }
                for c in plan.conflicts
            ],
            "credit_notes": [
                {
                    "number": n.note.number,
                    "amount": f"{n.note.amount:.2f}",
                    "invoice": n.note.invoice,
                    "reason": n.reason,
                }
                for n in plan.credit_notes
            ],
            "paid": self.paid,
            "notes": self.notes,
            "errors": [p.to_json(cwd) for p in self.errors],
            "warnings": [p.to_json(cwd) for p in self.warnings],
        }

    def text(self, root: Path) -> list[str]:
        if self.guesses:
            return self._guess_text()
        plan, lines = self.plan, []
        for f in self.files:
            lines.append(f"{f.path} ({f.kind}, sha256 {f.sha256[:12]}…)")
        verb = "would create" if self.dry_run or not self.written else "created"
        for client in plan.clients:
            lines.append(f"{verb} client {client.id}: {client.buyer.name} ({_relative(client.path, root)})")
        for case in plan.cases:
            numbers = ", ".join(f"{i.number} {i.amount:.2f} due {i.due.isoformat()}" for i in case.invoices)
            lines.append(f"{verb} case {case.id} for {case.client}: {numbers} ({_relative(case.path, root)})")
            for invoice in case.invoices:
                for payment in invoice.payments:
                    lines.append(
                        f"  with payment {payment.amount:.2f} of {payment.date.isoformat()} on {invoice.number}"
                    )
            for note in case.credit_notes:
                lines.append(f"  with credit note {note.number} {note.amount:.2f} on {note.invoice}")
        for skipped in plan.skipped:
            lines.append(f"skipped {skipped.invoice.number}: already in case {skipped.case}")
        for conflict in plan.conflicts:
            theirs = "no amount" if conflict.ledger_amount is None else f"{conflict.ledger_amount:.2f}"
            lines.append(
                f"conflict {conflict.invoice.number}: {conflict.invoice.amount:.2f} in {conflict.invoice.file.name}:"
                f"{conflict.invoice.line}, {theirs} in case {conflict.case} (not changed)"
            )
        for left in plan.credit_notes:
            lines.append(f"credit note {left.note.number} {left.note.amount:.2f} not imported: {left.reason}")
        if self.paid:
            shown = ", ".join(self.paid[:10]) + (", …" if len(self.paid) > 10 else "")
            lines.append(f"paid, not imported: {_count(len(self.paid), 'invoice')} ({shown})")
        lines += [f"note: {note}" for note in self.notes]
        dues = sorted({i.due_note for c in plan.cases for i in c.invoices if i.due_note})
        lines += [f"note: {due}" for due in dues]
        done = "created" if self.written else "to create"
        summary = (
            f"{_count(len(plan.cases), 'case')} and {_count(len(plan.clients), 'client')} {done}, "
            f"{len(plan.skipped)} already in the ledger, {_count(len(plan.conflicts), 'conflict')}"
        )
        if self.dry_run:
            summary += " (dry run: nothing written)"
        elif self.errors and not self.written:
            summary += f"; {len(self.errors)} error{'s' * (len(self.errors) != 1)}: nothing written"
        elif self.errors:
            summary += f"; {len(self.errors)} error{'s' * (len(self.errors) != 1)} left out (--skip-errors)"
        elif not (plan.cases or plan.clients):
            summary += ": nothing to do"
        lines.append(summary)
        if self.commit:
            lines.append(f"committed {self.commit}")
        return lines

    def _guess_text(self) -> list[str]:
        lines: list[str] = []
        for path, columns, delimiter, encoding, headers in self.guesses:
            shown = "\\t" if delimiter == "\t" else delimiter
            lines.append(f"# {path}: delimiter {shown!r}, {encoding}; header: {' | '.join(headers)}")
            lines.append("import:")
            lines.append("  csv:")
            lines.append("    columns:")
            lines += [f'      {name}: "{header}"' for name, header in columns.items()]
            missing = [n for n in ("number", "date", "amount", "client") if n not in columns]
            if missing:
                lines.append(f"# not found, to name by hand: {', '.join(missing)}")
        return lines


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'s' * (n != 1)}"


def _relative(path: Path, root: Path) -> str:
    try:
        return str(Path("ledger") / path.relative_to(root)) if root.name == "ledger" else str(path.relative_to(root))
    except ValueError:
        return str(path)
