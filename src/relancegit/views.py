"""Engine results for programs and the words for people: SPEC §5 JSON objects, French labels
and the reason for each next action in plain words ("promesse du 16/10 non tenue").

Layer: render. Takes `CaseState`s and a `Portfolio` and returns plain JSON-ready values
(amounts as strings with two decimals, ISO dates, integer day counts, null where unknown).
The text tables built from these words are in `tables.py`. Computes nothing the engine does
not already know.
"""

from __future__ import annotations

from collections.abc import Iterable
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


def reason(state: CaseState) -> str:
    """Why this action, on this date, in plain French ("promesse du 16/10 non tenue")."""
    action = state.next_action
    if action is None:
        return ""
    text = _reason_of_kind(state, action)
    if action.bound_by == Bound.PAUSE and state.paused_until is not None and action.kind != ActionKind.STEP:
        text += f" (en pause jusqu'au {day_month(state.paused_until)})"
    return text


def _reason_of_kind(state: CaseState, action: NextAction) -> str:
    kind = action.kind
    if kind == ActionKind.STEP:
        return _step_reason(state, action)
    if kind in (ActionKind.PROMISE_CHECK, ActionKind.PROMISE_BROKEN) and state.promise is not None:
        p = state.promise.promise
        if kind == ActionKind.PROMISE_CHECK:
            return f"promesse du {day_month(p.date)} : {money(p.amount)} pour le {day_month(p.due)}"
        return f"promesse du {day_month(p.date)} non tenue ({money(p.amount)} attendus le {day_month(p.due)})"
    if kind == ActionKind.PLAN_CHECK and state.plan is not None and state.plan.next_installment is not None:
        inst = state.plan.next_installment
        return f"échéance de l'échéancier du {day_month(inst.due)} ({money(inst.amount)})"
    if kind == ActionKind.PLAN_BROKEN and state.plan is not None:
        missed = state.plan.missed
        detail = f" (échéance du {day_month(missed.due)} impayée)" if missed else ""
        return f"échéancier du {day_month(state.plan.plan.date)} non respecté{detail}"
    if kind == ActionKind.DISPUTE_REVIEW and state.facts.open_dispute is not None:
        dispute = state.facts.open_dispute
        return f"litige du {day_month(dispute.date)} à réexaminer : {dispute.reason}"
    if kind == ActionKind.ESCALATION_FOLLOWUP:
        escalation = state.facts.latest_escalation
        if state.status == Status.ESCALATED and escalation is not None:
            to = HANDOVER_LABELS.get(escalation.to, escalation.to)
            return f"suivi du dossier transmis ({to}) le {day_month(escalation.date)}"
        last = f", dernier contact le {day_month(action.about)}" if action.about else ""
        return f"toutes les étapes sont faites : faire le point{last}"
    return KIND_LABELS[kind]


def _step_reason(state: CaseState, action: NextAction) -> str:
    label = step_label(action.step or "")
    text = f"{label} : J{action.offset:+d}" if action.offset is not None else label
    if action.bound_by == Bound.MIN_GAP and action.about is not None:
        text += f" ({state.policy.min_gap_days} j après le contact du {day_month(action.about)})"
    elif action.bound_by == Bound.PROMISE:
        kept = [p for p in state.promises if p.outcome == "kept"]
        if kept:
            text += f" (après la promesse tenue du {day_month(kept[-1].promise.due)})"
    elif action.bound_by == Bound.PAUSE:
        until = state.paused_until or (state.facts.pauses[-1].until if state.facts.pauses else None)
        if until is not None:
            text += f" (après la pause jusqu'au {day_month(until)})"
    return text


def describe_event(event: EventBase) -> str:
    """One line of the timeline, in French."""
    if isinstance(event, Reminder):
        via = f" ({channel_label(event.channel)})" if event.channel else ""
        return f"{step_label(event.step)}{via}"
    if isinstance(event, Call):
        step = f", {step_label(event.step)}" if event.step and event.step != "call" else ""
        return f"appel : {OUTCOME_LABELS[event.outcome]}{step}"
    if isinstance(event, Promise):
        return f"promesse : {money(event.amount)} pour le {date_short(event.due)}"
    if isinstance(event, Payment):
        ref = f" ({event.ref})" if event.ref else ""
        target = f" sur {event.invoice}" if event.invoice else ""
        return f"paiement {money(event.amount)}{target}{ref}"
    if isinstance(event, CreditNote):
        number = f" {event.number}" if event.number else ""
        return f"avoir{number} {money(event.amount)}"
    if isinstance(event, Plan):
        count = len(event.installments)
        signed = ", signé" if event.signed else ""
        return f"échéancier : {count} échéance{'s' if count > 1 else ''}{signed}"
    if isinstance(event, Dispute):
        return f"litige : {event.reason}"
    if isinstance(event, DisputeResolved):
        return "litige résolu"
    if isinstance(event, Pause):
        return f"pause jusqu'au {date_short(event.until)}"
    if isinstance(event, Escalation):
        ref = f" ({event.ref})" if event.ref else ""
        return f"transmis : {HANDOVER_LABELS.get(event.to, event.to)}{ref}"
    if isinstance(event, WriteOff):
        return f"passage en perte : {event.reason}"
    if isinstance(event, Acknowledgement):
        return "reconnaissance de dette"
    if isinstance(event, Note):
        return "note"
    return getattr(event, "type", "")


# --- JSON (SPEC §5) ------------------------------------------------------------------------


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
