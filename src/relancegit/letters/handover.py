"""The handover dossier of the `escalate` step: what an agency, a lawyer or a commissaire de
justice needs to take the case over.

Layer: render, writing one folder. Holds the summary (invoices, principal / interest /
indemnity, full history with the receipt of registered letters, prescription date: the
`escalate` template), what was sent for the case, and the invoice files. What was sent is
the exact copy kept under `ledger/sent/` (`document:` on the `reminder` event, written by
`send` and `letter --record`), copied byte for byte into `sent/`; a letter or e-mail step
recorded without a copy is re-rendered as it stood the day it was sent (dated at the event,
from the case as it was just before it) into `regenerated/`: not the document sent itself.
A CPCE R124-4 agency letter must state all of it (docs/legal-fr.md).
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import jinja2

from relancegit.engine.state import compute_case
from relancegit.letters import output_path, render, safe_child
from relancegit.letters.compose import build_context
from relancegit.letters.context import HANDOVER_STEPS
from relancegit.letters.render import Letter, invoice_file, template_names
from relancegit.model import Channel, Ledger, Reminder
from relancegit.problems import RelancegitError
from relancegit.render.templating import environment

# Steps whose reminder was a written message to the debtor (a call leaves no letter).
WRITTEN = frozenset({Channel.EMAIL, Channel.LETTER, Channel.REGISTERED_LETTER})


def kept_copies(ledger: Ledger, case_id: str, today: date) -> list[Path]:
    """The copies kept of what was sent for the case, in event order (those found on disk)."""
    root = ledger.root.resolve()
    found = []
    for event in ledger.cases[case_id].events:
        if isinstance(event, Reminder) and event.document and event.date <= today:
            path = (root / event.document).resolve()
            if path.is_relative_to(root) and path.is_file():
                found.append(path)
    return found


def sent_letters(ledger: Ledger, case_id: str, today: date) -> list[Letter]:
    """Every letter or e-mail step sent for the case without a kept copy, re-rendered as it
    was on the day."""
    from relancegit.letters import make_letter

    case = ledger.cases[case_id]
    policy = ledger.policy_for(case)
    env = environment(ledger.root)
    letters = []
    for index, event in enumerate(case.events):
        if not isinstance(event, Reminder) or event.date > today or event.step in HANDOVER_STEPS:
            continue
        if event.document and (ledger.root / event.document).is_file():
            continue  # the exact copy goes into the dossier instead
        step = policy.step(event.step)
        channel = event.channel or (step.channel if step else None)
        if channel not in WRITTEN:
            continue
        before = case.model_copy(update={"events": case.events[:index]})
        state = compute_case(ledger, before, event.date)
        context = build_context(ledger, [state], event.step, event.date, kind="sent")
        try:
            env.select_template(template_names(event.step, context.tone, context.language))
        except jinja2.TemplateNotFound:  # a custom step without a letter: nothing was sent on paper
            continue
        letters.append(make_letter(ledger, context))
    return letters


def write_dossier(ledger: Ledger, letter: Letter, today: date, folder: Path, fmt: str) -> list[Path]:
    """Write `folder/{case}-{step}/`: the summary, the copies of what was sent (`sent/`), the
    letters re-rendered for lack of a copy (`regenerated/`) and the invoice files."""
    if letter.context.consolidated:
        raise RelancegitError("a handover dossier is for one case: give the case id, not --client")
    case_id = letter.context.cases[0]
    dossier = safe_child(folder, letter.name)
    dossier.mkdir(parents=True, exist_ok=True)
    written = [_write(dossier, "summary", "md", render(letter, "md"))]
    if fmt != "md":
        written.append(_write(dossier, "summary", fmt, render(letter, fmt)))
    for copy in kept_copies(ledger, case_id, today):
        (dossier / "sent").mkdir(exist_ok=True)
        target = safe_child(dossier / "sent", copy.name)
        shutil.copyfile(copy, target)
        written.append(target)
    for sent in sent_letters(ledger, case_id, today):
        stem = f"{sent.context.date.isoformat()}-{sent.context.step}"
        (dossier / "regenerated").mkdir(exist_ok=True)
        written.append(_write(dossier / "regenerated", stem, fmt, render(sent, fmt)))
    for invoice in ledger.cases[case_id].invoices:
        if invoice.file:
            source = invoice_file(ledger.root, invoice.file, invoice.number)
            (dossier / "invoices").mkdir(exist_ok=True)
            target = safe_child(dossier / "invoices", source.name)
            shutil.copyfile(source, target)
            written.append(target)
    return written


def _write(folder: Path, stem: str, fmt: str, data: bytes) -> Path:
    path = output_path(folder, stem, fmt)
    path.write_bytes(data)
    return path
