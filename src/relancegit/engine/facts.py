"""One pass over a case's events up to `today`: what the other engine modules look up.

Layer: engine (pure, no I/O, no clock). Events dated after `today` are left out here, once,
so every rule downstream sees the case as it stood on that day (replaying the past works).
Events are in non-decreasing date order (checked by `checks.event_order`), so "latest"
means "last in the file".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from relancegit.engine.voids import live_events
from relancegit.model import (
    Call,
    Case,
    Channel,
    Dispute,
    DisputeResolved,
    Escalation,
    Event,
    Pause,
    Payment,
    Plan,
    Policy,
    Promise,
    Reminder,
    Step,
    WriteOff,
)

FORMAL_NOTICE_STEP = "formal-notice"
# docs/legal-fr.md: a formal notice usually gives 8 to 15 days to pay; used when a policy's
# formal-notice step sets no `deadline_days`.
DEFAULT_NOTICE_DAYS = 8

ContactEvent = Reminder | Call  # the client was contacted (not `model.Contact`, a person)


def is_formal_notice(step_id: str, step: Step | None) -> bool:
    """The built-in `formal-notice` step, or any step sent by registered letter with a deadline."""
    if step_id == FORMAL_NOTICE_STEP:
        return True
    return step is not None and step.channel == Channel.REGISTERED_LETTER and step.deadline_days is not None


@dataclass(frozen=True)
class CaseEvents:
    events: tuple[Event, ...]  # dated up to today, not voided, file order
    payments: tuple[Payment, ...]
    promises: tuple[Promise, ...]
    contacts: tuple[ContactEvent, ...]  # reminders and calls
    done_steps: frozenset[str]  # reminders, and calls naming a step
    pauses: tuple[Pause, ...]
    formal_notices: tuple[Reminder, ...]
    latest_plan: Plan | None
    open_dispute: Dispute | None  # a dispute with no later dispute-resolved
    latest_escalation: Escalation | None
    write_off: WriteOff | None  # the first one: it abandons whatever remains
    latest_interruption: date | None  # the last event that `interrupts_prescription` (Code civil 2240)

    @property
    def last_contact(self) -> date | None:
        return self.contacts[-1].date if self.contacts else None

    @property
    def latest_event_date(self) -> date | None:
        return self.events[-1].date if self.events else None

    def contact_since(self, day: date) -> bool:
        return self.last_contact is not None and self.last_contact >= day

    @property
    def first_formal_notice(self) -> date | None:
        return self.formal_notices[0].date if self.formal_notices else None


def gather(case: Case, policy: Policy, today: date) -> CaseEvents:
    """Sort the case's events up to `today` into what the rules need, in one pass."""
    kept: list[Event] = []
    payments: list[Payment] = []
    promises: list[Promise] = []
    contacts: list[ContactEvent] = []
    done: set[str] = set()
    pauses: list[Pause] = []
    notices: list[Reminder] = []
    plan: Plan | None = None
    dispute: Dispute | None = None
    escalation: Escalation | None = None
    write_off: WriteOff | None = None
    interruption: date | None = None
    for _, event in live_events(case, today):
        kept.append(event)
        if event.interrupts_prescription():
            interruption = event.date
        if isinstance(event, Payment):
            payments.append(event)
        elif isinstance(event, (Reminder, Call)):
            contacts.append(event)
            if event.step:
                done.add(event.step)
            if isinstance(event, Reminder) and is_formal_notice(event.step, policy.step(event.step)):
                notices.append(event)
        elif isinstance(event, Promise):
            promises.append(event)
        elif isinstance(event, Plan):
            plan = event
        elif isinstance(event, Dispute):
            dispute = event
        elif isinstance(event, DisputeResolved):
            dispute = None
        elif isinstance(event, Pause):
            pauses.append(event)
        elif isinstance(event, Escalation):
            escalation = event
        elif isinstance(event, WriteOff) and write_off is None:
            write_off = event
    return CaseEvents(
        events=tuple(kept),
        payments=tuple(payments),
        promises=tuple(promises),
        contacts=tuple(contacts),
        done_steps=frozenset(done),
        pauses=tuple(pauses),
        formal_notices=tuple(notices),
        latest_plan=plan,
        open_dispute=dispute,
        latest_escalation=escalation,
        write_off=write_off,
        latest_interruption=interruption,
    )
