"""Engine results for programs and the words for people: the JSON of docs/commands.md, French labels
and the reason for each next action in plain words ("promesse du 16/10 non tenue").

Layer: render. Takes `CaseState`s and a `Portfolio` and returns plain JSON-ready values
(amounts as strings with two decimals, ISO dates, integer day counts, null where unknown).
The text tables built from these words are in `tables.py`. Computes nothing the engine does
not already know.
"""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from relancegit.engine.penalties import CasePenalties
from relancegit.engine.portfolio import Portfolio, StepEffect
from relancegit.engine.schedule import ActionKind, Bound, NextAction
from relancegit.engine.state import CaseState
from relancegit.formatting import amount_json, date_short, day_month, money
from relancegit.model import (
    Acknowledgement,
    Call,
    CreditNote,
    Dispute,
    DisputeResolved,
    Escalation,
    EventBase,
    Note,
    Pause,
    Payment,
    Plan,
    Promise,
    Reminder,
    Status,
    Title,
    Void,
    WriteOff,
)

Json = dict[str, Any]

# --- words -----------------------------------------------------------------------------------

STEP_LABELS = {
    "pre-due": "relance préventive",
    "reminder-1": "1re relance",
    "reminder-2": "2e relance",
    "reminder-3": "3e relance",
    "call": "appel",
    "letter": "lettre de relance",
    "formal-notice": "mise en demeure",
    "escalate": "transmission au recouvrement",
}
CHANNEL_LABELS = {
    "email": "e-mail",
    "sms": "SMS",
    "phone": "téléphone",
    "letter": "courrier",
    "registered-letter": "LRAR",
    "handover": "transmission",
}
STATUS_LABELS = {
    Status.WRITTEN_OFF: "passé en perte",
    Status.PAID: "payé",
    Status.ESCALATED: "transmis",
    Status.DISPUTED: "en litige",
    Status.PAUSED: "en pause",
    Status.PLAN: "échéancier",
    Status.PROMISED: "promesse",
    Status.OVERDUE: "en retard",
    Status.UPCOMING: "à échoir",
}
KIND_LABELS = {
    ActionKind.STEP: "étape",
    ActionKind.PROMISE_CHECK: "vérifier la promesse",
    ActionKind.PROMISE_BROKEN: "promesse non tenue",
    ActionKind.PLAN_CHECK: "vérifier l'échéance",
    ActionKind.PLAN_BROKEN: "échéancier rompu",
    ActionKind.DISPUTE_REVIEW: "revoir le litige",
    ActionKind.ESCALATION_FOLLOWUP: "suivi",
}
HANDOVER_LABELS = {"agency": "agence de recouvrement", "lawyer": "avocat", "court": "tribunal"}
OUTCOME_LABELS = {"reached": "joint", "no-answer": "pas de réponse", "voicemail": "message laissé"}


def step_label(step_id: str) -> str:
    if step_id in STEP_LABELS:
        return STEP_LABELS[step_id]
    if step_id.startswith("reminder-") and step_id[9:].isdigit():
        return f"{step_id[9:]}e relance"
    return step_id


def channel_label(channel: str | None) -> str:
    return CHANNEL_LABELS.get(channel or "", channel or "")


def action_label(action: NextAction) -> str:
    if action.kind == ActionKind.STEP and action.step:
        return step_label(action.step)
    if action.kind == ActionKind.PLAN_BROKEN and action.step:
        return f"{KIND_LABELS[action.kind]} : {step_label(action.step)}"
    return KIND_LABELS[action.kind]


def _plain(words: str) -> str:
    """Words as a filter compares them: accents, case, hyphens and extra spaces ignored."""
    bare = "".join(c for c in unicodedata.normalize("NFKD", words) if not unicodedata.combining(c))
    return " ".join(bare.casefold().replace("-", " ").replace("_", " ").split())


def _status_words() -> dict[str, tuple[Status, str]]:
    """Every way to name a status, compared plainly, with how to show it: its JSON value, its
    French label with and without the leading "en"/"à" ("en litige", "litige"), and the
    dashboard's English label."""
    from relancegit.dashboard.labels import STATUS_EN  # the English words live with the site

    words: dict[str, tuple[Status, str]] = {}
    for status, label in STATUS_LABELS.items():
        short = label.removeprefix("en ").removeprefix("à ")
        for form in (status.value, label, short, STATUS_EN[status.value]):
            words.setdefault(_plain(form), (status, form))
    return words


def status_of(words: str) -> Status | None:
    """The status a user means by `words` (see `_status_words`), or None."""
    found = _status_words().get(_plain(words))
    return found[0] if found is not None else None


def unknown_status(words: str) -> str:
    """Why `words` is not a status: the closest name and every accepted one."""
    from relancegit.dashboard.labels import STATUS_EN

    known = _status_words()
    close = difflib.get_close_matches(_plain(words), list(known), n=1, cutoff=0.6)
    hint = f"; did you mean '{known[close[0]][1]}'?" if close else ""
    accepted = ", ".join(
        f"{label} ({' / '.join(dict.fromkeys((STATUS_EN[s.value], s.value)))})" for s, label in STATUS_LABELS.items()
    )
    return f"unknown status '{words}'{hint} Accepted: {accepted}."


def client_of(words: str, names: Mapping[str, str]) -> str | None:
    """The client id meant by `words`: an id, or exactly a client's name (case-insensitive)."""
    if words in names:
        return words
    folded = words.casefold()
    matches = [cid for cid in names if cid.casefold() == folded]
    matches = matches or [cid for cid, name in names.items() if name.casefold() == folded]
    return matches[0] if len(matches) == 1 else None


def unknown_client(words: str, names: Mapping[str, str]) -> str:
    """Why `words` names no client, with the closest ids."""
    close = difflib.get_close_matches(words.casefold(), list(names), n=3, cutoff=0.6)
    if close:
        return f"unknown client '{words}'; did you mean {' or '.join(repr(c) for c in close)}?"
    return f"unknown client '{words}' (give a client id or a client's exact name)"


@dataclass(frozen=True)
class Lexicon:
    """The words and phrases of reasons and timeline lines, in one language.

    `FRENCH` serves the terminal and French sites; the dashboard builds an English one from its
    own vocabulary (`dashboard.labels.lexicon`). Phrases are `str.format` patterns."""

    step: Callable[[str], str]
    channel: Callable[[str | None], str]
    kinds: Mapping[ActionKind, str]
    handovers: Mapping[str, str]
    outcomes: Mapping[str, str]
    phrases: Mapping[str, str]
    money: Callable[[Decimal], str]

    def say(self, key: str, **values: Any) -> str:
        return self.phrases[key].format(**values)


FRENCH_PHRASES = {
    "promise_check": "promesse du {made} : {amount} pour le {due}",
    "promise_broken": "promesse du {made} non tenue ({amount} attendus le {due})",
    "plan_check": "échéance de l'échéancier du {due} ({amount})",
    "plan_broken": "échéancier du {made} non respecté{detail}",
    "plan_missed": " (échéance du {due} impayée)",
    "dispute_review": "litige du {made} à réexaminer : {reason}",
    "escalated": "suivi du dossier transmis ({to}) le {made}",
    "all_done": "toutes les étapes sont faites : faire le point{last}",
    "last_contact": ", dernier contact le {day}",
    "paused": " (en pause jusqu'au {day})",
    "step_offset": "{label} : J{offset}",
    "min_gap": " ({days} j après le contact du {day})",
    "after_promise": " (après la promesse tenue du {day})",
    "after_pause": " (après la pause jusqu'au {day})",
    "via": " ({channel})",
    "received": ", reçue le {day}",
    "call": "appel : {outcome}{step}",
    "call_step": ", {step}",
    "promise": "promesse : {amount} pour le {due}",
    "payment": "paiement {amount}{target}{ref}",
    "payment_target": " sur {invoice}",
    "ref": " ({ref})",
    "credit_note": "avoir{number} {amount}",
    "plan": "échéancier : {count} échéance{plural}{signed}",
    "plan_signed": ", signé",
    "dispute": "litige : {reason}",
    "dispute_resolved": "litige résolu",
    "pause": "pause jusqu'au {until}",
    "escalation": "transmis : {to}{ref}",
    "write_off": "passage en perte : {reason}",
    "acknowledgement": "reconnaissance de dette",
    "note": "note",
    "void": "annulation de l'événement n° {event} : {reason}",
    "title": "titre exécutoire : {kind}{court}{ref}",
    "title_kinds": "injonction de payer exécutoire|jugement|autre titre",
    "voided": "annulé le {day} : {reason}",
}


def reason(state: CaseState, words: Lexicon | None = None) -> str:
    """Why this action, on this date, in plain words ("promesse du 16/10 non tenue")."""
    lex = words or FRENCH
    action = state.next_action
    if action is None:
        return ""
    text = _reason_of_kind(state, action, lex)
    if action.bound_by == Bound.PAUSE and state.paused_until is not None and action.kind != ActionKind.STEP:
        text += lex.say("paused", day=day_month(state.paused_until))
    return text


def _reason_of_kind(state: CaseState, action: NextAction, lex: Lexicon) -> str:
    kind = action.kind
    if kind == ActionKind.STEP:
        return _step_reason(state, action, lex)
    if kind in (ActionKind.PROMISE_CHECK, ActionKind.PROMISE_BROKEN) and state.promise is not None:
        p = state.promise.promise
        key = "promise_check" if kind == ActionKind.PROMISE_CHECK else "promise_broken"
        return lex.say(key, made=day_month(p.date), amount=lex.money(p.amount), due=day_month(p.due))
    if kind == ActionKind.PLAN_CHECK and state.plan is not None and state.plan.next_installment is not None:
        inst = state.plan.next_installment
        return lex.say("plan_check", due=day_month(inst.due), amount=lex.money(inst.amount))
    if kind == ActionKind.PLAN_BROKEN and state.plan is not None:
        missed = state.plan.missed
        detail = lex.say("plan_missed", due=day_month(missed.due)) if missed else ""
        return lex.say("plan_broken", made=day_month(state.plan.plan.date), detail=detail)
    if kind == ActionKind.DISPUTE_REVIEW and state.facts.open_dispute is not None:
        dispute = state.facts.open_dispute
        return lex.say("dispute_review", made=day_month(dispute.date), reason=dispute.reason)
    if kind == ActionKind.ESCALATION_FOLLOWUP:
        escalation = state.facts.latest_escalation
        if state.status == Status.ESCALATED and escalation is not None:
            to = lex.handovers.get(escalation.to, escalation.to)
            return lex.say("escalated", to=to, made=day_month(escalation.date))
        last = lex.say("last_contact", day=day_month(action.about)) if action.about else ""
        return lex.say("all_done", last=last)
    return lex.kinds[kind]


def _step_reason(state: CaseState, action: NextAction, lex: Lexicon) -> str:
    label = lex.step(action.step or "")
    text = lex.say("step_offset", label=label, offset=f"{action.offset:+d}") if action.offset is not None else label
    if action.bound_by == Bound.MIN_GAP and action.about is not None:
        text += lex.say("min_gap", days=state.policy.min_gap_days, day=day_month(action.about))
    elif action.bound_by == Bound.PROMISE:
        kept = [p for p in state.promises if p.outcome == "kept"]
        if kept:
            text += lex.say("after_promise", day=day_month(kept[-1].promise.due))
    elif action.bound_by == Bound.PAUSE:
        until = state.paused_until or (state.facts.pauses[-1].until if state.facts.pauses else None)
        if until is not None:
            text += lex.say("after_pause", day=day_month(until))
    return text


def describe_event(event: EventBase, words: Lexicon | None = None) -> str:
    """One line of the timeline."""
    lex = words or FRENCH
    ref = lex.say("ref", ref=getattr(event, "ref", None)) if getattr(event, "ref", None) else ""
    if isinstance(event, Reminder):
        via = lex.say("via", channel=lex.channel(event.channel)) if event.channel else ""
        received = lex.say("received", day=date_short(event.received)) if event.received else ""
        return f"{lex.step(event.step)}{via}{received}"
    if isinstance(event, Call):
        step = lex.say("call_step", step=lex.step(event.step)) if event.step and event.step != "call" else ""
        return lex.say("call", outcome=lex.outcomes[event.outcome], step=step)
    if isinstance(event, Promise):
        return lex.say("promise", amount=lex.money(event.amount), due=date_short(event.due))
    if isinstance(event, Payment):
        target = lex.say("payment_target", invoice=event.invoice) if event.invoice else ""
        return lex.say("payment", amount=lex.money(event.amount), target=target, ref=ref)
    if isinstance(event, CreditNote):
        number = f" {event.number}" if event.number else ""
        return lex.say("credit_note", number=number, amount=lex.money(event.amount))
    if isinstance(event, Plan):
        count = len(event.installments)
        signed = lex.say("plan_signed") if event.signed else ""
        return lex.say("plan", count=count, plural="s" if count > 1 else "", signed=signed)
    if isinstance(event, Dispute):
        return lex.say("dispute", reason=event.reason)
    if isinstance(event, DisputeResolved):
        return lex.say("dispute_resolved")
    if isinstance(event, Pause):
        return lex.say("pause", until=date_short(event.until))
    if isinstance(event, Escalation):
        return lex.say("escalation", to=lex.handovers.get(event.to, event.to), ref=ref)
    if isinstance(event, WriteOff):
        return lex.say("write_off", reason=event.reason)
    if isinstance(event, Acknowledgement):
        return lex.say("acknowledgement")
    if isinstance(event, Note):
        return lex.say("note")
    if isinstance(event, Void):
        return lex.say("void", event=event.event, reason=event.reason)
    if isinstance(event, Title):
        kinds = lex.phrases["title_kinds"].split("|")
        kind = dict(zip(("injonction", "judgment", "other"), kinds, strict=True))[event.kind]
        court = f", {event.court}" if event.court else ""
        return lex.say("title", kind=kind, court=court, ref=ref)
    return getattr(event, "type", "")


def describe_voided(void: Void, words: Lexicon | None = None) -> str:
    """What a timeline says beside an event that a later `void` cancelled."""
    return (words or FRENCH).say("voided", day=date_short(void.date), reason=void.reason)


FRENCH = Lexicon(
    step=step_label,
    channel=channel_label,
    kinds=KIND_LABELS,
    handovers=HANDOVER_LABELS,
    outcomes=OUTCOME_LABELS,
    phrases=FRENCH_PHRASES,
    money=money,
)


# --- JSON (docs/commands.md) ----------------------------------------------------------------


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day is not None else None


def _amount(value: Decimal | None) -> str | None:
    return amount_json(value) if value is not None else None


def action_json(state: CaseState) -> Json | None:
    action = state.next_action
    if action is None:
        return None
    return {
        "date": action.date.isoformat(),
        "kind": action.kind.value,
        "step": action.step,
        "channel": action.channel.value if action.channel else None,
        "reason": reason(state),
        "is_due": action.is_due(state.today),
    }


def penalties_json(penalties: CasePenalties) -> Json:
    return {
        "interest": _amount(penalties.interest),
        "indemnity": amount_json(penalties.indemnity),
        "missing_rates": list(penalties.missing_rates),
    }


def case_json(state: CaseState, invoices: bool = True) -> Json:
    """The `show` object; `list` uses it without `invoices`."""
    alloc = state.allocation
    out: Json = {
        "id": state.id,
        "client": state.case.client,
        "status": state.status.value,
        "total": amount_json(alloc.total),
        "paid": amount_json(alloc.paid),
        "credited": amount_json(alloc.credited),
        "written_off": amount_json(alloc.written_off),
        "balance": amount_json(alloc.balance),
        "due": state.reference_due.isoformat(),
        "days_overdue": state.days_overdue,
        "penalties": penalties_json(state.penalties),
        "next_action": action_json(state),
        "deadlines": {
            "prescription": _iso(state.deadlines.prescription),
            "escalation": _iso(state.deadlines.escalation),
            "formal_notice": _iso(state.deadlines.formal_notice),
        },
        "client_name": state.client.name,
    }
    if invoices:
        out["invoices"] = [
            {
                "number": inv.invoice.number,
                "date": inv.invoice.date.isoformat(),
                "due": inv.invoice.due.isoformat(),
                "amount": amount_json(inv.invoice.amount),
                "balance": amount_json(inv.balance),
                "interest": _amount(pen.interest if (pen := state.penalties.for_invoice(inv.invoice.number)) else None),
            }
            for inv in alloc.invoices
        ]
    return out


def list_json(states: Iterable[CaseState]) -> list[Json]:
    return [case_json(s, invoices=False) for s in states]


def next_json(states: Iterable[CaseState]) -> list[Json]:
    out = []
    for state in states:
        action = state.next_action
        if action is None:
            continue
        out.append(
            {
                "case": state.id,
                "client": state.case.client,
                "date": action.date.isoformat(),
                "kind": action.kind.value,
                "step": action.step,
                "channel": action.channel.value if action.channel else None,
                "balance": amount_json(state.balance),
                "reason": reason(state),
            }
        )
    return out


def _effect_json(effect: StepEffect) -> Json:
    return {
        "step": effect.step,
        "channel": effect.channel,
        "count": effect.count,
        "paid_within_14d": effect.paid_within_14d,
        "median_days_to_pay": effect.median_days_to_pay,
    }


def report_json(figures: Portfolio) -> Json:
    return {
        "outstanding": amount_json(figures.outstanding),
        "overdue": amount_json(figures.overdue),
        "aging": {bucket: amount_json(v) for bucket, v in figures.aging.items()},
        "dso": figures.dso,
        "recovery_rate": float(figures.recovery_rate) if figures.recovery_rate is not None else None,
        "by_status": {
            status: {"count": t.count, "balance": amount_json(t.balance)} for status, t in figures.by_status.items()
        },
        "steps": [_effect_json(e) for e in figures.steps],
        "channels": [_effect_json(e) for e in figures.channels],
        "recurring_late_clients": list(figures.recurring_late_clients),
        "exposure": [
            {
                "client": e.client,
                "exposure": amount_json(e.exposure),
                "credit_limit": _amount(e.credit_limit),
                "over_limit": e.over_limit,
            }
            for e in figures.exposures
        ],
    }
