"""Voided events: which events a `void` cancels, and the events that count as of a date.

Layer: engine (pure, no I/O, no clock). Every rule that reads a case's events (allocation,
facts, the checks) takes them from `live_events`, so a voided event is, from the day of its
`void` on, as if it never happened; before that day it still counts (replaying the past works).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date

from relancegit.model import Case, Event, EventBase, Void


def cancelled(case: Case, today: date) -> dict[int, Void]:
    """0-based position of each event cancelled by a `void` dated up to `today` -> that void.

    Invalid references (out of range, a void, an event voided twice) are errors of `check`
    and leave the file out; here they are ignored rather than trusted."""
    return cancelled_events(case.events, today)


def cancelled_events(events: Sequence[EventBase], today: date) -> dict[int, Void]:
    """`cancelled` over a sequence of events (a case's `events`)."""
    found: dict[int, Void] = {}
    for position, event in enumerate(events):
        if isinstance(event, Void) and event.date <= today:
            target = event.event - 1
            if 0 <= target < position and target not in found and not isinstance(events[target], Void):
                found[target] = event
    return found


def has_voids(case: Case) -> bool:
    return any(isinstance(event, Void) for event in case.events)


def live_events(case: Case, today: date) -> Iterator[tuple[int, Event]]:
    """(position, event) of the events that count as of `today`: dated up to it, not voided,
    and not voids themselves (a void only removes)."""
    gone = cancelled(case, today) if has_voids(case) else {}
    for position, event in enumerate(case.events):
        if event.date > today or position in gone or isinstance(event, Void):
            continue
        yield position, event
