"""The ledger as `match` looks it up: each case's references, payments recorded and open
amounts, gathered into one `match.Index`.

Layer: the model and the engine -> plain data. `case_row` computes one case's row with the
engine's own functions (the allocation, the latest plan and promise; not the schedule,
deadlines or penalties); `build_index` gathers rows, in the ledger's order, into the index.
A row depends only on its case file, the configuration, its client's file and today, so the
command layer may keep rows by file and compute again only those of changed files
(`commands.matching`, `matching.checked_view`): the index is the same either way.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import NamedTuple

from relancegit.engine.allocation import allocate
from relancegit.engine.facts import gather
from relancegit.engine.status import PromiseOutcome, plan_state, promise_state
from relancegit.matching.match import Index, cents, compact, normalized_name, whole_cents
from relancegit.model import Case, Ledger, Plan, Promise, Void
from relancegit.model import Payment as PaymentEvent


class CaseRow(NamedTuple):
    """What one case gives the index, as plain data."""

    case: str
    client: str
    client_name: str  # as written
    refs: tuple[tuple[str, str, str], ...]  # (compact ref, "case"|"invoice", id): the case, then its invoices
    payments: tuple[tuple[str, int, bool], ...]  # (ref, 1-based event, voided) of each payment with a ref
    opens: tuple[tuple[str, tuple[int, int], Decimal], ...]  # (number, (due ordinal, rank), balance), open ones
    balance: Decimal  # the case's balance; <= 0: paid or written off, nothing open
    others: tuple[tuple[Decimal, str], ...]  # (amount, "plan instalment"|"promise") also due


def case_row(ledger: Ledger, case: Case, today: date) -> CaseRow:
    """One case's row. Closed invoices keep their references: "paid already" is worth saying."""
    refs = [(compact(case.id), "case", case.id)]
    refs += [(compact(invoice.number), "invoice", invoice.number) for invoice in case.invoices]
    voided = {e.event for e in case.events if isinstance(e, Void)}
    payments = tuple(
        (event.ref, position, position in voided)
        for position, event in enumerate(case.events, start=1)
        if isinstance(event, PaymentEvent) and event.ref
    )
    client = ledger.client_of(case)
    allocation = allocate(case, today)
    balance = allocation.balance
    if balance <= 0:
        return CaseRow(case.id, client.id, client.name, tuple(refs), payments, (), balance, ())
    opens = tuple(
        (item.invoice.number, (item.invoice.due.toordinal(), order), item.balance)
        for order, item in enumerate(allocation.invoices)
        if item.balance > 0
    )
    return CaseRow(case.id, client.id, client.name, tuple(refs), payments, opens, balance, _others(ledger, case, today))


def _others(ledger: Ledger, case: Case, today: date) -> tuple[tuple[Decimal, str], ...]:
    """A plan's next instalment and a pending promise are amounts a client pays too."""
    if not any(isinstance(e, (Plan, Promise)) for e in case.events):
        return ()
    policy = ledger.policy_for(case)
    facts = gather(case, policy, today)
    found = []
    if facts.latest_plan is not None:
        plan = plan_state(facts.latest_plan, facts.payments, policy.grace_days, today)
        if plan.active and plan.next_installment is not None:
            found.append((plan.next_installment.amount, "plan instalment"))
    if facts.promises:
        promise = promise_state(facts.promises[-1], facts.payments, policy.grace_days, today)
        if promise.outcome == PromiseOutcome.PENDING:
            found.append((promise.promise.amount, "promise"))
    return tuple(found)


def build_index(rows: Iterable[CaseRow]) -> Index:
    """The index of these rows, in this order (the ledger's): a later case's reference
    replaces an earlier one's, the first case recording a payment ref is the one named."""
    index = Index()
    by_client: dict[str, list[tuple[str, int]]] = {}
    for row in rows:
        case = row.case
        for ref, kind, name in row.refs:
            index.refs[ref] = (kind, name)
        for ref, position, voided in row.payments:
            index.recorded.setdefault(ref, case)
            index.payment_events[ref] = (case, position, voided)
        client = row.client
        if client not in index.names:
            index.names[client] = normalized_name(row.client_name)
            index.display[client] = row.client_name
        if row.balance <= 0:
            continue  # paid or written off
        opened = []
        for number, due, amount in row.opens:
            balance = whole_cents(amount)
            k = index.add_open(case, client, number, due, balance)
            index.invoices[number] = k
            opened.append(k)
            index.add_amount(balance, client, ((case, number, balance),), "invoice")
        opened.sort(key=index.open_due.__getitem__)
        index.by_case[case] = opened
        case_balance = whole_cents(row.balance)
        if len(opened) > 1:
            index.add_amount(case_balance, client, ((case, None, case_balance),), "case")
        for amount, what in row.others:
            other = cents(amount)
            if other is not None:  # else no bank amount (2 decimals at most) is this one
                index.add_amount(other, client, ((case, None, other),), what)
        by_client.setdefault(client, []).append((case, case_balance))
    for client, cases in by_client.items():
        if len(cases) > 1:  # one transfer for all a client's open cases
            total = sum(b for _, b in cases)
            index.add_amount(total, client, tuple((c, None, b) for c, b in cases), "all open cases")
    index.choices = list(index.names.items())
    index.choice_names = [name for _, name in index.choices]
    return index


def index_ledger(ledger: Ledger, today: date) -> Index:
    """Index every case (references and payments recorded) and the open ones' amounts."""
    return build_index(case_row(ledger, case, today) for case in ledger.cases.values())
