"""The `calendar` command's iCalendar file: upcoming actions and deadlines as all-day events.

Layer: render (icalendar library). UIDs are stable (`{case}-{kind}@relancegit`) so a
subscribed calendar updates events in place; the only time stamp, DTSTAMP, is derived from
`today`, so two runs on the same ledger and day give the same bytes. An action already due
is placed on today (it is still to do), not on its past date.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from icalendar import Calendar, Event

from relancegit.engine.state import CaseState
from relancegit.files import write_atomically
from relancegit.render.formatting import money
from relancegit.render.views import action_label, channel_label, reason

PRODID = "-//relancegit//relancegit//FR"
DEADLINE_LABELS = {
    "prescription": "prescription",
    "escalation": "seuil d'escalade",
    "formal-notice": "fin du délai de la mise en demeure",
}


def _event(uid: str, day: date, summary: str, description: str, stamp: datetime) -> Event:
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", stamp)
    event.add("dtstart", day)
    event.add("dtend", day + timedelta(days=1))
    event.add("summary", summary)
    event.add("description", description)
    event.add("transp", "TRANSPARENT")
    return event


def _case_events(state: CaseState, stamp: datetime) -> Iterable[Event]:
    title = f"{state.id} ({state.client.name})"
    balance = f"Solde : {money(state.balance)}"
    action = state.next_action
    if action is not None:
        channel = channel_label(action.channel.value if action.channel else None)
        how = f" — {channel}" if channel else ""
        yield _event(
            f"{state.id}-action@relancegit",
            max(action.date, state.today),
            f"{action_label(action)}{how} : {title}",
            f"{reason(state)}\n{balance}",
            stamp,
        )
    deadlines = {
        "prescription": state.deadlines.prescription,
        "escalation": state.deadlines.escalation,
        "formal-notice": state.deadlines.formal_notice,
    }
    for kind, day in deadlines.items():
        if day is not None and day >= state.today:
            yield _event(f"{state.id}-{kind}@relancegit", day, f"{DEADLINE_LABELS[kind]} : {title}", balance, stamp)


def calendar_ics(states: Iterable[CaseState], today: date) -> bytes:
    """The iCalendar file of every open case's next action and coming deadlines."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("x-wr-calname", "relancegit")
    stamp = datetime(today.year, today.month, today.day, tzinfo=UTC)
    for state in states:
        if state.is_open:
            for event in _case_events(state, stamp):
                cal.add_component(event)
    return bytes(cal.to_ical())


def write_calendar(path: Path, data: bytes) -> None:
    """Write the file atomically (a calendar app polling it never reads half of it); a path
    that cannot be written is a one-line error, the old file left as it was."""
    write_atomically(path, data)
