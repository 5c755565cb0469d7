"""Allocation of payments, credit notes and write-offs to invoices (docs/engine.md).

Payments and credit notes naming an `invoice` go to it; the others go to the invoices in order
of due date (then order in the file), oldest first. What an invoice cannot absorb spills over
to the others in the same order; what no invoice can absorb is `unallocated` (an overpayment).
A write-off abandons whatever remains, dated on the first write-off event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

from relancegit.engine.voids import live_events
from relancegit.model import ZERO, Case, CreditNote, Invoice, Payment, WriteOff

SettlementKind = Literal["payment", "credit-note", "write-off"]


@dataclass(frozen=True)
class Settlement:
    """Part of an event's amount applied to one invoice."""

    date: date
    amount: Decimal
    kind: SettlementKind
    event_index: int


@dataclass(frozen=True)
class InvoiceState:
    invoice: Invoice
    settlements: tuple[Settlement, ...]

    @property
    def allocated(self) -> Decimal:
        return sum((s.amount for s in self.settlements), ZERO)

    @property
    def balance(self) -> Decimal:
        return self.invoice.amount - self.allocated

    def settled_on(self) -> date | None:
        """The day the balance reached zero, or None while something remains."""
        if self.balance > 0 or not self.settlements:
            return None
        return max(s.date for s in self.settlements)

    def balance_before(self, day: date) -> Decimal:
        """The balance at the start of `day`: settlements dated before it count."""
        return self.invoice.amount - sum((s.amount for s in self.settlements if s.date < day), ZERO)


@dataclass(frozen=True)
class Allocation:
    invoices: tuple[InvoiceState, ...]
    paid: Decimal
    credited: Decimal
    written_off: Decimal
    unallocated: Decimal  # received beyond what was due (overpayment)

    @property
    def total(self) -> Decimal:
        return sum((s.invoice.amount for s in self.invoices), ZERO)

    @property
    def balance(self) -> Decimal:
        return self.total - self.paid - self.credited - self.written_off


def allocate(case: Case, today: date) -> Allocation:
    """Allocate the case's events dated up to `today` (voided ones left out) to its invoices."""
    order = sorted(range(len(case.invoices)), key=lambda i: (case.invoices[i].due, i))
    by_number = {inv.number: i for i, inv in enumerate(case.invoices)}
    remaining = [inv.amount for inv in case.invoices]
    applied: list[list[Settlement]] = [[] for _ in case.invoices]
    paid = credited = unallocated = ZERO
    write_off_date: date | None = None
    write_off_index = -1

    for index, event in live_events(case, today):
        if isinstance(event, WriteOff):
            if write_off_date is None:
                write_off_date, write_off_index = event.date, index
            continue
        if not isinstance(event, (Payment, CreditNote)):
            continue
        kind: SettlementKind = "payment" if isinstance(event, Payment) else "credit-note"
        if kind == "payment":
            paid += event.amount
        else:
            credited += event.amount
        left = event.amount
        target = by_number.get(event.invoice) if event.invoice else None
        targets = ([target] if target is not None else []) + [i for i in order if i != target]
        for i in targets:
            if left <= 0:
                break
            take = min(left, remaining[i])
            if take > 0:
                applied[i].append(Settlement(event.date, take, kind, index))
                remaining[i] -= take
                left -= take
        unallocated += left

    written_off = ZERO
    if write_off_date is not None:
        for i, rest in enumerate(remaining):
            if rest > 0:
                applied[i].append(Settlement(write_off_date, rest, "write-off", write_off_index))
                written_off += rest
                remaining[i] = ZERO

    states = tuple(InvoiceState(inv, tuple(applied[i])) for i, inv in enumerate(case.invoices))
    return Allocation(states, paid, credited, written_off, unallocated)
