"""Engine results for programs and the words for people: the JSON of docs/commands.md, labels
and the reason for each next action in plain words ("promesse du 16/10 non tenue"), one timeline
line per event. The words themselves are in `relancegit.words` (French by default here).

Layer: render. Takes `CaseState`s and a `Portfolio` and returns plain JSON-ready values
(amounts as strings with two decimals, ISO dates, integer day counts, null where unknown).
The text tables built from these words are in `render/tables.py`. Computes nothing the engine does
not already know.
"""

from __future__ import annotations

import difflib
import string
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from typing import Any

from relancegit.engine.penalties import CasePenalties
from relancegit.engine.portfolio import Portfolio, StepEffect
from relancegit.engine.schedule import ActionKind, Bound, NextAction
from relancegit.engine.state import CaseState
from relancegit.model import EventBase, Status, Void
from relancegit.render.formatting import amount_json, date_short, day_month, money
from relancegit.words import vocabulary

Json = dict[str, Any]

# --- words (from `relancegit.words`) ---------------------------------------------------------

FR_WORDS = vocabulary("fr")


def step_label(step_id: str, words: Mapping[str, Any] = FR_WORDS) -> str:
    """A step's short name; `reminder-N` steps a policy adds are numbered."""
    labels = words["step"]
    if step_id in labels:
        return str(labels[step_id])
    if step_id.startswith("reminder-") and step_id[9:].isdigit():
        return str(words["step_numbered"]).format(n=step_id[9:])
    return step_id


def channel_label(channel: str | None, words: Mapping[str, Any] = FR_WORDS) -> str:
    return str(words["channel"].get(channel or "", channel or ""))


def status_label(status: Status, words: Mapping[str, Any] = FR_WORDS) -> str:
    return str(words["status"][status.value])


def action_label(action: NextAction, words: Mapping[str, Any] = FR_WORDS) -> str:
    return kind_label(action.kind, action.step, words)


def kind_label(kind: ActionKind, step: str | None, words: Mapping[str, Any] = FR_WORDS) -> str:
    """What to do: the step's name, else the kind of check ("échéancier rompu : mise en demeure")."""
    if kind == ActionKind.STEP and step:
        return step_label(step, words)
    if kind == ActionKind.PLAN_BROKEN and step:
        return str(words["plan_broken_step"]).format(kind=words["action"][kind.value], step=step_label(step, words))
    return str(words["action"][kind.value])


def _plain(words: str) -> str:
    """Words as a filter compares them: accents, case, hyphens and extra spaces ignored."""
    bare = "".join(c for c in unicodedata.normalize("NFKD", words) if not unicodedata.combining(c))
    return " ".join(bare.casefold().replace("-", " ").replace("_", " ").split())


def _status_words() -> dict[str, tuple[Status, str]]:
    """Every way to name a status, compared plainly, with how to show it: its JSON value, its
    French label with and without the leading "en"/"à" ("en litige", "litige"), and its
    English label."""
    english = vocabulary("en")["status"]
    words: dict[str, tuple[Status, str]] = {}
    for status in Status:
        label = status_label(status)
        short = label.removeprefix("en ").removeprefix("à ")
        for form in (status.value, label, short, english[status.value]):
            words.setdefault(_plain(form), (status, form))
    return words


def status_of(words: str) -> Status | None:
    """The status a user means by `words` (see `_status_words`), or None."""
    found = _status_words().get(_plain(words))
    return found[0] if found is not None else None


def unknown_status(words: str) -> str:
    """Why `words` is not a status: the closest name and every accepted one."""
    english = vocabulary("en")["status"]
    known = _status_words()
    close = difflib.get_close_matches(_plain(words), list(known), n=1, cutoff=0.6)
    hint = f"; did you mean '{known[close[0]][1]}'?" if close else ""
    accepted = ", ".join(
        f"{status_label(s)} ({' / '.join(dict.fromkeys((english[s.value], s.value)))})" for s in Status
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
    """The words of reasons and timeline lines in one language, with how it writes amounts.

    `FRENCH` serves the terminal; the dashboard builds one for the ledger's language and
    currency (`site.labels.Words.lexicon`). Phrases are `str.format` patterns."""

    words: Mapping[str, Any]  # one vocabulary of `relancegit.words`
    money: Callable[[Decimal], str]

    def say(self, key: str, **values: Any) -> str:
        """The phrase at a dotted `key` ("reason.paused"), filled with `values`."""
        found: Any = self.words
        for part in key.split("."):
            found = found[part]
        return str(found).format(**values)

    def step(self, step_id: str) -> str:
        return step_label(step_id, self.words)

    def channel(self, channel: str | None) -> str:
        return channel_label(channel, self.words)

    def word(self, group: str, key: str) -> str:
        """A word of a closed list (`handover`, `outcome`, …), else the key itself."""
        return str(self.words[group].get(key, key))

    def day(self, value: date) -> str:
        return date_short(value)


def reason(state: CaseState, words: Lexicon | None = None) -> str:
    """Why this action, on this date, in plain words ("promesse du 16/10 non tenue")."""
    lex = words or FRENCH
    action = state.next_action
    if action is None:
        return ""
    text = _reason_of_kind(state, action, lex)
    if action.bound_by == Bound.PAUSE and state.paused_until is not None and action.kind != ActionKind.STEP:
        text += lex.say("reason.paused", day=day_month(state.paused_until))
    return text


def _reason_of_kind(state: CaseState, action: NextAction, lex: Lexicon) -> str:
    kind = action.kind
    if kind == ActionKind.STEP:
        return _step_reason(state, action, lex)
    if kind in (ActionKind.PROMISE_CHECK, ActionKind.PROMISE_BROKEN) and state.promise is not None:
        p = state.promise.promise
        key = "reason.promise_check" if kind == ActionKind.PROMISE_CHECK else "reason.promise_broken"
        return lex.say(key, made=day_month(p.date), amount=lex.money(p.amount), due=day_month(p.due))
    if kind == ActionKind.PLAN_CHECK and state.plan is not None and state.plan.next_installment is not None:
        inst = state.plan.next_installment
        return lex.say("reason.plan_check", due=day_month(inst.due), amount=lex.money(inst.amount))
    if kind == ActionKind.PLAN_BROKEN and state.plan is not None:
        missed = state.plan.missed
        detail = lex.say("reason.plan_missed", due=day_month(missed.due)) if missed else ""
        return lex.say("reason.plan_broken", made=day_month(state.plan.plan.date), detail=detail)
    if kind == ActionKind.DISPUTE_REVIEW and state.facts.open_dispute is not None:
        dispute = state.facts.open_dispute
        return lex.say("reason.dispute_review", made=day_month(dispute.date), reason=dispute.reason)
    if kind == ActionKind.ESCALATION_FOLLOWUP:
        escalation = state.facts.latest_escalation
        if state.status == Status.ESCALATED and escalation is not None:
            to = lex.word("handover", escalation.to)
            return lex.say("reason.escalated", to=to, made=day_month(escalation.date))
        last = lex.say("reason.last_contact", day=day_month(action.about)) if action.about else ""
        return lex.say("reason.all_done", last=last)
    return lex.say(f"action.{kind.value}")


def _step_reason(state: CaseState, action: NextAction, lex: Lexicon) -> str:
    label = lex.step(action.step or "")
    text = (
        lex.say("reason.step_offset", label=label, offset=f"{action.offset:+d}") if action.offset is not None else label
    )
    if action.bound_by == Bound.MIN_GAP and action.about is not None:
        text += lex.say("reason.min_gap", days=state.policy.min_gap_days, day=day_month(action.about))
    elif action.bound_by == Bound.PROMISE:
        kept = [p for p in state.promises if p.outcome == "kept"]
        if kept:
            text += lex.say("reason.after_promise", day=day_month(kept[-1].promise.due))
    elif action.bound_by == Bound.PAUSE:
        until = state.paused_until or (state.facts.pauses[-1].until if state.facts.pauses else None)
        if until is not None:
            text += lex.say("reason.after_pause", day=day_month(until))
    return text


def describe_event(event: EventBase, words: Lexicon | None = None) -> str:
    """One line of the timeline: the event type's phrase (`event.<type>` in `relancegit.words`)
    filled with its fields, each written the usual way (amounts as money, dates short)."""
    lex = words or FRENCH
    phrase = lex.words["event"][event.type_name]
    values = event.timeline_fields(lex)
    for name in _phrase_fields(phrase):
        if name not in values:
            values[name] = _field_words(getattr(event, name), lex)
    return str(phrase.format(**values))


@cache
def _phrase_fields(phrase: str) -> tuple[str, ...]:
    """The names a phrase asks for: only those are written out (timelines run to 100,000 lines)."""
    return tuple(dict.fromkeys(name for _, name, _, _ in string.Formatter().parse(phrase) if name))


def _field_words(value: Any, lex: Lexicon) -> Any:
    if isinstance(value, Decimal):
        return lex.money(value)
    if isinstance(value, date):
        return date_short(value)
    return "" if value is None else value


def describe_voided(void: Void, words: Lexicon | None = None) -> str:
    """What a timeline says beside an event that a later `void` cancelled."""
    return (words or FRENCH).say("timeline.voided", day=date_short(void.date), reason=void.reason)


FRENCH = Lexicon(words=FR_WORDS, money=money)


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
