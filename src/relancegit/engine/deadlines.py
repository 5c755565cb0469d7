"""Deadlines of a case (docs/engine.md): prescription, escalation threshold, formal-notice deadline.

Layer: engine (pure). Prescription runs on the calendar, never moved to a business day
(docs/legal-fr.md); the formal-notice deadline is moved to the next business day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from relancegit.calendar import next_business_day
from relancegit.engine.facts import DEFAULT_NOTICE_DAYS, CaseFacts
from relancegit.model import DebtorType, Policy

# Code de commerce L110-4: 5 years between professionals; Code de la consommation L218-2:
# 2 years for a professional's claim against a consumer.
PRESCRIPTION_YEARS: dict[str, int] = {"business": 5, "consumer": 2}
# The agenda flags a prescription this close.
PRESCRIPTION_WARNING_DAYS = 90


@dataclass(frozen=True)
class Deadlines:
    prescription: date | None
    prescription_from: date | None  # the due date, or the latest interruption
    escalation: date | None
    formal_notice: date | None

    def prescription_near(self, today: date) -> bool:
        return self.prescription is not None and (self.prescription - today).days <= PRESCRIPTION_WARNING_DAYS


NO_DEADLINES = Deadlines(None, None, None, None)


def add_years(day: date, years: int) -> date:
    """The same calendar day `years` later; 29 February becomes 28 February."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def prescription_start(facts: CaseFacts, reference_due: date) -> date:
    """Runs from the due date; a payment, a signed plan or an acknowledgement starts a new full
    period (Code civil 2240). A formal notice does not (Cass. com. 18 May 2022, 20-23.204)."""
    interruption = facts.latest_interruption
    return max(reference_due, interruption) if interruption is not None else reference_due


def formal_notice_deadline(facts: CaseFacts, policy: Policy, holidays: str) -> date | None:
    if not facts.formal_notices:
        return None
    notice = facts.formal_notices[-1]
    step = policy.step(notice.step)
    days = step.deadline_days if step is not None and step.deadline_days is not None else DEFAULT_NOTICE_DAYS
    return next_business_day(notice.date + timedelta(days=days), holidays)


def case_deadlines(
    facts: CaseFacts,
    policy: Policy,
    reference_due: date,
    debtor: DebtorType,
    is_open: bool,
    holidays: str = "FR",
) -> Deadlines:
    """Deadlines of an open case; a paid or written-off case has none to watch."""
    if not is_open:
        return NO_DEADLINES
    start = prescription_start(facts, reference_due)
    return Deadlines(
        prescription=add_years(start, PRESCRIPTION_YEARS[debtor]),
        prescription_from=start,
        escalation=reference_due + timedelta(days=policy.escalation_days),
        formal_notice=formal_notice_deadline(facts, policy, holidays),
    )
