"""Late-payment penalties (docs/engine.md, legal-fr.md): interest per invoice and the indemnity.

Layer: engine (pure). Interest accrues for each day d after the due date while something
remains: `balance at the start of d × annual rate(d) / 365`. A settlement dated d counts from
d + 1, so the day of a payment still bears interest. Credit notes and write-offs reduce the
balance like payments (from the day after their date): interest runs on what is still
claimed. Days are grouped into runs of constant balance and half-year, so the sum is exact
(Decimal) and costs a few multiplications per invoice; it is rounded half-up to the cent once,
per invoice.

- Business debtor: from the day after the due date (Code de commerce L441-10 II, no reminder
  needed), at the fixed rate or the ECB rate of the half-year (in force on 1 January / 1 July)
  plus the margin; plus the fixed indemnity (D441-5) for each invoice settled late or still
  unpaid past its due date.
- Consumer debtor: no indemnity (CPCE L111-8); legal-rate interest ("other cases": the creditor
  is a business) from the day after the first formal notice (Code civil 1231-6, 1344-1).

An unknown half-year rate is never guessed: that invoice's interest is None and the
half-year is listed in `missing_rates`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from relancegit.engine.allocation import Allocation, InvoiceState
from relancegit.engine.rates import RateTable, period_of
from relancegit.model import CENT, ZERO, DebtorType, Penalties

ONE_DAY = timedelta(days=1)
DAYS_PER_YEAR = 365  # docs/engine.md: annual rate / 365, leap years included
PERCENT_DAYS = Decimal(100 * DAYS_PER_YEAR)


@dataclass(frozen=True)
class Run:
    """Consecutive days of one half-year with the same balance."""

    period: str
    first: date
    last: date
    balance: Decimal

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


@dataclass(frozen=True)
class InvoicePenalty:
    number: str
    interest: Decimal | None  # None when a needed rate is unknown
    indemnity: Decimal
    late_days: int  # days that bore interest
    missing_rates: tuple[str, ...]


@dataclass(frozen=True)
class CasePenalties:
    invoices: tuple[InvoicePenalty, ...]
    interest: Decimal | None
    indemnity: Decimal
    missing_rates: tuple[str, ...]

    def for_invoice(self, number: str) -> InvoicePenalty | None:
        return next((p for p in self.invoices if p.number == number), None)


def interest_start(state: InvoiceState, debtor: DebtorType, first_formal_notice: date | None) -> date | None:
    """The first day that bears interest, or None when none can (a consumer never put on notice)."""
    due = state.invoice.due
    if debtor == "business":
        return due + ONE_DAY
    if first_formal_notice is None:
        return None
    return max(due, first_formal_notice) + ONE_DAY


def _half_year_end(day: date) -> date:
    return date(day.year, 6, 30) if day.month <= 6 else date(day.year, 12, 31)


def interest_runs(state: InvoiceState, start: date | None, today: date) -> Iterator[Run]:
    """Runs of days in [start, today] with a positive balance, split at half-years."""
    if start is None or start > today:
        return
    settlements = sorted(state.settlements, key=lambda s: s.date)
    balance = state.invoice.amount - sum((s.amount for s in settlements if s.date < start), ZERO)
    # Balance changes take effect the day after the settlement's date.
    changes = [(s.date + ONE_DAY, s.amount) for s in settlements if s.date >= start]
    day, index = start, 0
    while day <= today and balance > 0:
        next_change = changes[index][0] if index < len(changes) else today + ONE_DAY
        last = min(next_change - ONE_DAY, today, _half_year_end(day))
        if last >= day:
            yield Run(period_of(day), day, last, balance)
            day = last + ONE_DAY
        while index < len(changes) and changes[index][0] <= day:
            balance -= changes[index][1]
            index += 1


class RateSource:
    """The annual rate (in %) for a half-year, for one kind of debtor."""

    def __init__(self, rates: RateTable, penalties: Penalties, debtor: DebtorType) -> None:
        self._rates = rates
        self._fixed = penalties.fixed_rate
        self._margin = penalties.ecb_margin
        self._debtor = debtor

    def rate(self, period: str) -> Decimal | None:
        row = self._rates.get(period)
        if self._debtor == "consumer":
            return row.legal_other  # the creditor is a business: "autres cas"
        if self._fixed is not None:
            return self._fixed
        return None if row.ecb is None else row.ecb + self._margin  # L441-10: ECB + 10 points


def invoice_penalty(
    state: InvoiceState,
    debtor: DebtorType,
    source: RateSource,
    indemnity: Decimal,
    today: date,
    first_formal_notice: date | None,
) -> InvoicePenalty:
    numerator = ZERO
    missing: set[str] = set()
    days = 0
    for run in interest_runs(state, interest_start(state, debtor, first_formal_notice), today):
        days += run.days
        rate = source.rate(run.period)
        if rate is None:
            missing.add(run.period)
        else:
            numerator += run.balance * rate * run.days
    interest = None if missing else (numerator / PERCENT_DAYS).quantize(CENT, rounding=ROUND_HALF_UP)
    owed = indemnity if debtor == "business" and is_late(state, today) else ZERO
    return InvoicePenalty(state.invoice.number, interest, owed, days, tuple(sorted(missing)))


def is_late(state: InvoiceState, today: date) -> bool:
    """Settled after, or still unpaid past, its due date. A remainder cancelled entirely by
    credit notes after the due date was not paid late: no indemnity for it."""
    due = state.invoice.due
    if today <= due or state.balance_before(due + ONE_DAY) <= 0:
        return False
    if state.balance > 0:
        return True
    after_due = [s for s in state.settlements if s.date >= due]
    return any(s.kind != "credit-note" for s in after_due)


def case_penalties(
    allocation: Allocation,
    debtor: DebtorType,
    penalties: Penalties,
    rates: RateTable,
    today: date,
    first_formal_notice: date | None,
) -> CasePenalties:
    source = RateSource(rates, penalties, debtor)
    per_invoice = tuple(
        invoice_penalty(state, debtor, source, penalties.indemnity, today, first_formal_notice)
        for state in allocation.invoices
    )
    missing = tuple(sorted({p for i in per_invoice for p in i.missing_rates}))
    interest = None if missing else sum((i.interest or ZERO for i in per_invoice), ZERO)
    indemnity = sum((i.indemnity for i in per_invoice), ZERO)
    return CasePenalties(per_invoice, interest, indemnity, missing)


def needed_periods(
    allocation: Allocation,
    debtor: DebtorType,
    penalties: Penalties,
    rates: RateTable,
    today: date,
    first_formal_notice: date | None,
) -> set[str]:
    """Half-years whose rate the case's interest needs and the table lacks (for `check`)."""
    source = RateSource(rates, penalties, debtor)
    missing: set[str] = set()
    for state in allocation.invoices:
        for run in interest_runs(state, interest_start(state, debtor, first_formal_notice), today):
            if run.period not in missing and source.rate(run.period) is None:
                missing.add(run.period)
    return missing
