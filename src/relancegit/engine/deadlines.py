"""Deadlines of a case (docs/engine.md): prescription, escalation threshold, formal-notice deadline.

Layer: engine (pure). Prescription runs on the calendar, never moved to a business day
(docs/legal-fr.md); the formal-notice deadline is moved to the next business day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from relancegit.engine.business_days import next_business_day
from relancegit.engine.facts import DEFAULT_NOTICE_DAYS, CaseEvents
from relancegit.model import DebtorType, Policy, Title

# Code de commerce L110-4: 5 years between professionals; Code de la consommation L218-2:
# 2 years for a professional's claim against a consumer.
PRESCRIPTION_YEARS: dict[str, int] = {"business": 5, "consumer": 2}
# CPCE L111-4: a court decision or another enforceable title is executed within 10 years.
TITLE_YEARS = 10
# The agenda flags a prescription this close.
PRESCRIPTION_WARNING_DAYS = 90


@dataclass(frozen=True)
class Deadlines:
    prescription: date | None
    prescription_from: date | None  # the due date, or the latest interruption
    escalation: date | None
    formal_notice: date | None
    title: date | None = None  # the latest enforceable title: prescription runs from it (10 years)
    # What prescription_from is: "due" (date), "invoice" (a consumer's invoice date),
    # "interruption" (payment, signed plan, acknowledgement) or "title".
    prescription_basis: str = "due"

    def prescription_near(self, today: date) -> bool:
        return self.prescription is not None and (self.prescription - today).days <= PRESCRIPTION_WARNING_DAYS


NO_DEADLINES = Deadlines(None, None, None, None)


def add_years(day: date, years: int) -> date:
    """The same calendar day `years` later; 29 February becomes 28 February."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def prescription_start(facts: CaseEvents, reference_due: date) -> date:
    """Runs from the due date; a payment, a signed plan or an acknowledgement starts a new full
    period (Code civil 2240). A formal notice does not (Cass. com. 18 May 2022, 20-23.204)."""
    interruption = facts.latest_interruption
    return max(reference_due, interruption) if interruption is not None else reference_due


def latest_title(facts: CaseEvents) -> Title | None:
    titles = [e for e in facts.events if isinstance(e, Title)]
    return titles[-1] if titles else None


def formal_notice_deadline(facts: CaseEvents, policy: Policy, holidays: str) -> date | None:
    if not facts.formal_notices:
        return None
    notice = facts.formal_notices[-1]
    step = policy.step(notice.step)
    days = step.deadline_days if step is not None and step.deadline_days is not None else DEFAULT_NOTICE_DAYS
    # Counted from the acknowledgement of receipt when it is recorded, else from the letter's date.
    start = notice.received if notice.received is not None else notice.date
    return next_business_day(start + timedelta(days=days), holidays)


def case_deadlines(
    facts: CaseEvents,
    policy: Policy,
    reference_due: date,
    debtor: DebtorType,
    is_open: bool,
    holidays: str = "FR",
    invoice_date: date | None = None,
) -> Deadlines:
    """Deadlines of an open case; a paid or written-off case has none to watch.

    A consumer's debt runs from the performance of the service (Code de la consommation
    L218-2), which may precede the due date: counted conservatively from the earliest invoice
    date when it is given. An enforceable title replaces all of it: 10 years from the title."""
    if not is_open:
        return NO_DEADLINES
    base, basis = reference_due, "due"
    if debtor == "consumer" and invoice_date is not None and invoice_date < reference_due:
        base, basis = invoice_date, "invoice"
    start = prescription_start(facts, base)
    if start != base:
        basis = "interruption"
    years = PRESCRIPTION_YEARS[debtor]
    title = latest_title(facts)
    if title is not None:
        start, years, basis = max(start, title.date), TITLE_YEARS, "title"
    return Deadlines(
        prescription=add_years(start, years),
        prescription_from=start,
        escalation=reference_due + timedelta(days=policy.escalation_days),
        formal_notice=formal_notice_deadline(facts, policy, holidays),
        title=title.date if title is not None else None,
        prescription_basis=basis,
    )
