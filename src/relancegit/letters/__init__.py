"""Letters: which letter a case (or a client) needs, built from the engine's results.

Layer: render. `letter_for_case` and `letter_for_client` pick the step (the next action's,
or the one asked for), compute the cases as of `today` and build a `Letter`; `render` turns
it into Markdown, HTML, PDF or an e-mail (`render.py`); `handover.write_dossier` writes the
folder handed over at the `escalate` step. Nothing here reads the clock or writes files,
except `write_output` and the dossier, into the folder they are given.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from email.headerregistry import Address
from pathlib import Path

from relancegit.engine.rates import RateTable
from relancegit.engine.schedule import ActionKind
from relancegit.engine.state import CaseState, compute_case
from relancegit.files import write_atomically
from relancegit.letters.compose import build_context, check_step, step_for_next_action, step_rank
from relancegit.letters.context import HANDOVER_STEPS, PLAN_AGREEMENT, PROMISE_CONFIRMATION, LetterContext
from relancegit.letters.render import FORMATS, Letter, TemplateProblem, render, template_names
from relancegit.model import ZERO, Channel, Ledger
from relancegit.problems import RelancegitError, UsageError

__all__ = [
    "FORMATS",
    "HANDOVER_STEPS",
    "Letter",
    "TemplateProblem",
    "is_handover",
    "letter_for_case",
    "letter_for_client",
    "letter_status",
    "make_letter",
    "output_path",
    "render",
    "render_case_letter_html",
    "safe_child",
    "template_names",
    "write_file",
    "write_output",
]

POSTAL = frozenset({Channel.LETTER.value, Channel.REGISTERED_LETTER.value})
# Kinds of next action that call for a letter in a consolidated one (not checks, disputes or follow-ups).
DUNNING_KINDS = frozenset({ActionKind.STEP, ActionKind.PLAN_BROKEN, ActionKind.PROMISE_BROKEN})


def make_letter(ledger: Ledger, context: LetterContext) -> Letter:
    config = ledger.config
    creditor = config.creditor
    if config.smtp is not None and config.smtp.sender:
        sender: str | None = config.smtp.sender
    elif creditor.email and "@" in creditor.email:
        username, _, domain = creditor.email.strip().partition("@")
        try:
            sender = str(Address(display_name=" ".join(creditor.name.split()), username=username, domain=domain))
        except (ValueError, IndexError):
            sender = None
    else:
        sender = None
    return Letter(
        context=context,
        ledger_root=ledger.root,
        currency=config.currency,
        sender=sender,
        hash_seed=f"{creditor.name}\0{creditor.siren or ''}",
    )


def _check_context(context: LetterContext, ledger: Ledger) -> None:
    """What a letter cannot do without: an agreement to confirm, an address to post to."""
    reference = context.reference
    if context.step == PROMISE_CONFIRMATION and context.promise is None:
        raise RelancegitError(
            f"no promise in '{reference}' to confirm; record it first: "
            f"relancegit record {reference} promise amount=… due=…"
        )
    if context.step == PLAN_AGREEMENT and context.plan is None:
        raise RelancegitError(
            f"no payment plan in '{reference}'; record it first: "
            f"relancegit record {reference} plan installments=YYYY-MM-DD:amount,…"
        )
    client = ledger.clients.get(context.debtor.id)
    if context.channel in POSTAL and client is not None and not client.address:
        raise RelancegitError(
            f"client '{client.id}' has no address, which a postal letter needs: add address: to its file"
        )


def _states(ledger: Ledger, case_ids: Sequence[str], today: date) -> list[CaseState]:
    rates = RateTable.for_config(ledger.config)
    return [compute_case(ledger, ledger.cases[cid], today, rates) for cid in case_ids]


def letter_for_case(
    ledger: Ledger, case_id: str, today: date, step: str | None = None, *, header: bool = True
) -> Letter:
    """The letter of the case's next action, or of `step`, dated `today`."""
    if case_id not in ledger.cases:
        raise RelancegitError(f"unknown case '{case_id}'")
    case = ledger.cases[case_id]
    siblings = sorted(cid for cid, c in ledger.cases.items() if c.client == case.client and cid != case_id)
    state, *others = _states(ledger, [case_id, *siblings], today)
    if step is None:
        step, kind = step_for_next_action(state)
    else:
        check_step(state.policy, step)
        kind = _kind_if_next(state, step)
    context = build_context(ledger, [state], step, today, kind=kind, header=header, others=others)
    _check_context(context, ledger)
    return make_letter(ledger, context)


def _kind_if_next(state: CaseState, step: str) -> str:
    """The next action's kind when the step asked for is the next action's (a formal notice
    after a broken plan says so), else `requested`."""
    try:
        natural, kind = step_for_next_action(state)
    except RelancegitError:
        return "requested"
    return kind if natural == step else "requested"


def letter_for_client(
    ledger: Ledger, client_id: str, today: date, step: str | None = None, *, header: bool = True
) -> Letter:
    """One letter for all of the client's cases due for a dunning action, at the most advanced
    step among them (in policy order), listing every overdue invoice."""
    if client_id not in ledger.clients:
        raise RelancegitError(f"unknown client '{client_id}'")
    case_ids = sorted(cid for cid, c in ledger.cases.items() if c.client == client_id)
    states = _states(ledger, case_ids, today)
    if step in (PROMISE_CONFIRMATION, PLAN_AGREEMENT):
        return _agreement_for_client(ledger, client_id, states, step, today, header=header)
    due = [
        s
        for s in states
        if s.is_open and s.action_due and s.next_action is not None and s.next_action.kind in DUNNING_KINDS
    ]
    if not due:
        raise RelancegitError(f"no case of client '{client_id}' is due for a letter on {today.isoformat()}")
    chosen = [(s, *step_for_next_action(s)) for s in due]
    lead, natural_step, kind = max(chosen, key=lambda item: (step_rank(item[0], item[1]), item[0].balance))
    if step is None:
        step = natural_step
    else:
        check_step(lead.policy, step)
        kind = kind if step == natural_step else "requested"
    ordered = [lead, *(s for s in due if s is not lead)]
    others = [s for s in states if all(s is not d for d in due)]
    context = build_context(ledger, ordered, step, today, kind=kind, header=header, others=others, overdue_only=True)
    _check_context(context, ledger)
    return make_letter(ledger, context)


def _agreement_for_client(
    ledger: Ledger, client_id: str, states: list[CaseState], step: str, today: date, *, header: bool
) -> Letter:
    """A promise confirmation or a plan agreement for a client: the agreement of its one case
    that has one, or, for a promise made for several cases with the same date, one letter
    confirming their sum; agreements that differ are written case by case."""
    if step == PROMISE_CONFIRMATION:
        holding = [s for s in states if s.is_open and s.promise is not None and s.promise.outcome.value == "pending"]
        what = "pending promise"
    else:
        holding = [s for s in states if s.is_open and s.plan is not None and s.plan.active]
        what = "active payment plan"
    if not holding:
        raise RelancegitError(f"no case of client '{client_id}' has a {what} on {today.isoformat()}")
    if len(holding) == 1:
        return letter_for_case(ledger, holding[0].id, today, step, header=header)
    promises = [s.promise.promise for s in holding if s.promise is not None]
    if step == PLAN_AGREEMENT or len({p.due for p in promises}) > 1:
        ids = ", ".join(s.id for s in holding)
        raise RelancegitError(
            f"cases {ids} of client '{client_id}' each have their own {what}: "
            f"write them case by case (relancegit letter CASE --step {step})"
        )
    lead = max(holding, key=lambda s: (s.promise.promise.date if s.promise else today, s.balance))
    ordered = [lead, *(s for s in holding if s is not lead)]
    others = [s for s in states if all(s is not h for h in holding)]
    context = build_context(ledger, ordered, step, today, header=header, others=others)
    single = context.promise
    assert single is not None
    combined = replace(
        single,
        date=max(p.date for p in promises),
        amount=sum((p.amount for p in promises), ZERO),
        paid=sum((s.promise.paid for s in holding if s.promise is not None), ZERO),
    )
    context = replace(context, promise=combined)
    _check_context(context, ledger)
    return make_letter(ledger, context)


def letter_status(ledger: Ledger, letter: Letter, today: date) -> str:
    """One line for people: what was rendered, why, and whether it is already recorded, so a
    letter rendered after `record` is never the following step by surprise."""
    context = letter.context
    step = str(context.step)
    states = _states(ledger, [str(c) for c in context.cases], today)
    lead = states[0]
    where = str(context.reference)
    sent = [e.date for s in states for e in s.facts.contacts if e.step == step]
    action = lead.next_action
    if sent:
        status = f"already recorded on {max(sent).isoformat()}"
    elif str(context.kind) == "requested":
        status = "asked with --step; not recorded"
    elif action is not None and not action.is_due(today):
        status = f"the next action, on {action.date.isoformat()}: not due yet"
    else:
        status = "the next action, due; not recorded yet"
    line = f"{where}: {step} ({status})"
    channel = context.channel
    if not sent and channel is not None and step in {s.id for s in lead.policy.steps}:
        commands = " && ".join(
            f"relancegit record {case} reminder step={step} channel={channel}" for case in context.cases
        )
        line += f"; once sent: {commands}"
    return line


def render_case_letter_html(ledger: Ledger, state: CaseState, step: str, today: date) -> str:
    """The standalone HTML of a case's letter at `step` (the dashboard's hook)."""
    from relancegit.letters.render import to_html

    context = build_context(ledger, [state], step, today, kind=_kind_if_next(state, step))
    _check_context(context, ledger)
    # The dashboard shows previews of thousands of letters: drawing each one's payment QR code
    # (about 12 ms, pure Python) would double a cold build. The letters sent carry it.
    context = replace(context, payment=replace(context.payment, qr=None))
    return to_html(make_letter(ledger, context))


def is_handover(letter: Letter) -> bool:
    return letter.context.step in HANDOVER_STEPS


def safe_child(folder: Path, name: str) -> Path:
    """`folder/name` for a name derived from ledger ids, refusing anything that would land
    outside `folder` (a separator, `..`, a hidden name)."""
    base = folder.resolve()
    path = (base / name).resolve()
    if not name or name.startswith(".") or "/" in name or "\\" in name or path.parent != base:
        raise RelancegitError(f"refusing to write '{name}' outside {folder}")
    return path


def output_path(folder: Path, stem: str, fmt: str) -> Path:
    """`folder/{stem}.{fmt}`, inside `folder`."""
    if fmt not in FORMATS:
        raise UsageError(f"unknown format '{fmt}' (expected one of: {', '.join(FORMATS)})")
    return safe_child(folder, f"{stem}.{fmt}")


def write_output(folder: Path, letter: Letter, fmt: str) -> Path:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RelancegitError(f"cannot create the folder {folder}: {exc.strerror or exc}") from None
    return write_file(output_path(folder, letter.name, fmt), render(letter, fmt))


def write_file(path: Path, content: bytes) -> Path:
    """Write `path` whole or not at all (a hidden temporary file renamed over it)."""
    return write_atomically(path, content)
