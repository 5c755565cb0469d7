"""Cross-file and legal checks on the files that parsed and validated on their own.

Layer: (candidates, today) -> problems. Each check is a small named function returning
problems with the path of the offending value; `CHECKS` lists them. Nothing here reads
files or raises for a data problem.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

from relancegit.engine.allocation import Allocation, allocate
from relancegit.model import (
    DEFAULT_POLICY,
    ZERO,
    Call,
    Case,
    Client,
    Config,
    CreditNote,
    Dispute,
    DisputeResolved,
    Pause,
    Payment,
    Plan,
    Policy,
    Promise,
    Reminder,
    WriteOff,
)
from relancegit.problems import AT_KEY, Problem, error, warning
from relancegit.rates import RateTable, period_of

# Code de commerce L441-10 I: at most 60 days from the invoice date between businesses.
MAX_BUSINESS_TERM_DAYS = 60
# L441-10 II: a contractual penalty rate may not be lower than 3 times the legal rate.
MIN_RATE_FACTOR = Decimal(3)


@dataclass
class Candidates:
    root: Path
    config: Config
    config_path: Path
    clients: list[tuple[Path, Client]]
    broken_clients: set[str]  # ids (file stems) of client files that have errors
    cases: list[tuple[Path, Case]]

    def policy_id(self, case: Case, clients: dict[str, Client]) -> str:
        client = clients.get(case.client)
        return case.policy or (client.policy if client else None) or "default"


@dataclass(frozen=True)
class Context:
    candidates: Candidates
    today: date
    clients: dict[str, Client]
    _allocations: dict[int, Allocation] = field(default_factory=dict)

    def allocation(self, case: Case) -> Allocation:
        """The case's allocation as of today, computed once for all the checks."""
        found = self._allocations.get(id(case))
        if found is None:
            found = self._allocations[id(case)] = allocate(case, self.today)
        return found

    @property
    def config(self) -> Config:
        return self.candidates.config

    def policy(self, case: Case) -> tuple[str, Policy | None]:
        policy_id = self.candidates.policy_id(case, self.clients)
        return policy_id, self.config.policies.get(policy_id)


Check = Callable[[Context], Iterable[Problem]]


def _money(value: Decimal) -> str:
    return f"{value:.2f}"


# --- configuration -------------------------------------------------------------------------


def policy_steps(ctx: Context) -> Iterator[Problem]:
    path = ctx.candidates.config_path
    all_steps = {s.id for p in ctx.config.policies.values() for s in p.steps}
    for policy_id, policy in ctx.config.policies.items():
        seen: set[str] = set()
        previous: int | None = None
        for i, step in enumerate(policy.steps):
            where = ("policies", policy_id, "steps", i)
            if step.id in seen:
                yield error(path, f"duplicate step '{step.id}' in policy '{policy_id}'", *where, "id")
            seen.add(step.id)
            if previous is not None and step.offset < previous:
                yield error(
                    path,
                    f"step '{step.id}' has offset {step.offset}, before the previous step's "
                    f"{previous}: steps must be in order",
                    *where,
                    "offset",
                )
            previous = step.offset
        if policy.step(policy.on_broken_plan) is None:
            yield error(
                path,
                f"on_broken_plan '{policy.on_broken_plan}' is not a step of policy '{policy_id}'",
                "policies",
                policy_id,
                "on_broken_plan",
            )
    if ctx.config.penalties.claim_from_step not in all_steps:
        yield error(
            path,
            f"claim_from_step '{ctx.config.penalties.claim_from_step}' is not a step of any policy",
            "penalties",
            "claim_from_step",
        )


def rate_rows(ctx: Context) -> Iterator[Problem]:
    seen: set[str] = set()
    for i, row in enumerate(ctx.config.rates):
        if row.period in seen:
            yield error(ctx.candidates.config_path, f"duplicate rates row for {row.period}", "rates", i, "period")
        seen.add(row.period)


def fixed_rate_floor(ctx: Context) -> Iterator[Problem]:
    fixed = ctx.config.penalties.fixed_rate
    if fixed is None:
        return
    table = RateTable.for_config(ctx.config)
    period = period_of(ctx.today)
    known = [p for p in table.periods() if p <= period and table.get(p).legal_other is not None]
    if not known:
        return
    legal = table.get(known[-1]).legal_other
    assert legal is not None
    floor = MIN_RATE_FACTOR * legal
    if fixed < floor:
        yield warning(
            ctx.candidates.config_path,
            f"penalty rate {fixed}% is below three times the legal interest rate of {known[-1]} "
            f"(3 × {legal}% = {floor}%): Code de commerce L441-10 II",
            "penalties",
            "rate",
        )


# --- clients -------------------------------------------------------------------------------


def client_references(ctx: Context) -> Iterator[Problem]:
    for path, client in ctx.candidates.clients:
        if client.policy and client.policy not in ctx.config.policies:
            yield error(path, f"unknown policy '{client.policy}'{_known(ctx.config.policies)}", "policy")


def client_vat(ctx: Context) -> Iterator[Problem]:
    for path, client in ctx.candidates.clients:
        if client.vat:
            from stdnum.eu import vat  # imported only when needed: it loads every EU country

            if not vat.is_valid(client.vat):
                yield error(path, f"invalid VAT number '{client.vat}'", "vat")


# --- cases ---------------------------------------------------------------------------------


def unique_case_ids(ctx: Context) -> Iterator[Problem]:
    first: dict[str, Path] = {}
    for path, case in ctx.candidates.cases:
        if case.id in first:
            yield error(path, f"duplicate case id '{case.id}' (also in {first[case.id]})", "id")
        else:
            first[case.id] = path


def unique_invoice_numbers(ctx: Context) -> Iterator[Problem]:
    first: dict[str, str] = {}
    for path, case in ctx.candidates.cases:
        for i, invoice in enumerate(case.invoices):
            if invoice.number in first:
                yield error(
                    path,
                    f"duplicate invoice number '{invoice.number}' (also in case {first[invoice.number]})",
                    "invoices",
                    i,
                    "number",
                )
            else:
                first[invoice.number] = case.id


def case_references(ctx: Context) -> Iterator[Problem]:
    for path, case in ctx.candidates.cases:
        if case.client not in ctx.clients:
            if case.client in ctx.candidates.broken_clients:
                yield error(path, f"client '{case.client}' has errors in its file (see clients/)", "client")
            else:
                yield error(path, f"unknown client '{case.client}'", "client")
        if case.policy and case.policy not in ctx.config.policies:
            yield error(path, f"unknown policy '{case.policy}'{_known(ctx.config.policies)}", "policy")
            continue
        policy_id, policy = ctx.policy(case)
        numbers = {inv.number for inv in case.invoices}
        for i, event in enumerate(case.events):
            step = event.step if isinstance(event, (Reminder, Call)) else None
            if step and policy is not None and policy.step(step) is None:
                steps = ", ".join(s.id for s in policy.steps)
                yield error(
                    path, f"unknown step '{step}' in policy '{policy_id}' (steps: {steps})", "events", i, "step"
                )
            invoice = event.invoice if isinstance(event, (Payment, CreditNote, Dispute)) else None
            if invoice is not None and invoice not in numbers:
                yield error(
                    path, f"unknown invoice '{invoice}' in case {case.id}{_known(numbers)}", "events", i, "invoice"
                )


def invoice_dates(ctx: Context) -> Iterator[Problem]:
    for path, case in ctx.candidates.cases:
        client = ctx.clients.get(case.client)
        for i, invoice in enumerate(case.invoices):
            if invoice.due < invoice.date:
                yield error(
                    path, f"due date {invoice.due} is before the invoice date {invoice.date}", "invoices", i, "due"
                )
            elif client is not None and client.type == "business":
                term = (invoice.due - invoice.date).days
                if term > MAX_BUSINESS_TERM_DAYS:
                    yield warning(
                        path,
                        f"payment term of {term} days exceeds the {MAX_BUSINESS_TERM_DAYS}-day maximum "
                        "between businesses (Code de commerce L441-10)",
                        "invoices",
                        i,
                        "due",
                    )
            if invoice.net is not None and invoice.net > invoice.amount:
                yield warning(
                    path,
                    f"net amount {invoice.net} is greater than the amount due {invoice.amount}",
                    "invoices",
                    i,
                    "net",
                )


def event_order(ctx: Context) -> Iterator[Problem]:
    for path, case in ctx.candidates.cases:
        previous: date | None = None
        for i, event in enumerate(case.events):
            if previous is not None and event.date < previous:
                yield error(
                    path,
                    f"event dated {event.date} comes after one dated {previous}: events are appended in date order",
                    "events",
                    i,
                    "date",
                )
            previous = max(previous, event.date) if previous else event.date
            if event.date > ctx.today:
                yield warning(
                    path,
                    f"event dated {event.date} is after today ({ctx.today}): it is ignored until then",
                    "events",
                    i,
                    "date",
                )


def event_dates(ctx: Context) -> Iterator[Problem]:
    for path, case in ctx.candidates.cases:
        open_dispute = False
        for i, event in enumerate(case.events):
            if isinstance(event, Promise) and event.due < event.date:
                yield error(
                    path, f"promised date {event.due} is before the promise itself ({event.date})", "events", i, "due"
                )
            elif isinstance(event, Pause) and event.until < event.date:
                yield error(
                    path, f"pause until {event.until} ends before it starts ({event.date})", "events", i, "until"
                )
            elif isinstance(event, Plan):
                dues = [inst.due for inst in event.installments]
                if dues != sorted(dues):
                    yield error(path, "installments must be in date order", "events", i, "installments")
                if dues[0] < event.date:
                    yield warning(
                        path,
                        f"first installment {dues[0]} is before the plan date {event.date}",
                        "events",
                        i,
                        "installments",
                        0,
                        "due",
                    )
            elif isinstance(event, Dispute):
                open_dispute = True
            elif isinstance(event, DisputeResolved):
                if not open_dispute:
                    yield warning(path, "dispute-resolved without an open dispute before it", "events", i, "type")
                open_dispute = False


def plan_amounts(ctx: Context) -> Iterator[Problem]:
    for path, case in ctx.candidates.cases:
        for i, event in enumerate(case.events):
            if not isinstance(event, Plan) or event.date > ctx.today:
                continue
            balance = allocate(case, event.date).balance
            planned = sum((inst.amount for inst in event.installments), ZERO)
            if planned != balance:
                yield warning(
                    path,
                    f"installments total {_money(planned)} but the balance on {event.date} is {_money(balance)}",
                    "events",
                    i,
                    "installments",
                )


def overpayment(ctx: Context) -> Iterator[Problem]:
    for path, case in ctx.candidates.cases:
        received = ZERO
        total = case.total
        for i, event in enumerate(case.events):
            if event.date > ctx.today or not isinstance(event, (Payment, CreditNote)):
                continue
            before = received
            received += event.amount
            if received > total >= before:
                yield warning(
                    path,
                    f"overpayment: payments and credit notes reach {_money(received)}, "
                    f"more than the {_money(total)} invoiced",
                    "events",
                    i,
                    "amount",
                )


def credit_limit(ctx: Context) -> Iterator[Problem]:
    exposure: dict[str, Decimal] = {}
    for _, case in ctx.candidates.cases:
        if any(isinstance(e, WriteOff) and e.date <= ctx.today for e in case.events):
            continue
        balance = ctx.allocation(case).balance
        if balance > 0:
            exposure[case.client] = exposure.get(case.client, ZERO) + balance
    for path, client in ctx.candidates.clients:
        owed = exposure.get(client.id, ZERO)
        if client.credit_limit is not None and owed > client.credit_limit:
            yield warning(
                path,
                f"exposure {_money(owed)} is above the credit limit {_money(client.credit_limit)}",
                "credit_limit",
            )


def missing_rates(ctx: Context) -> Iterator[Problem]:
    """Once per unknown half-year that some case's penalty interest needs (SPEC §4.7): name the
    `rates:` row to add. Interest is never computed on a guessed rate."""
    from relancegit.engine.facts import is_formal_notice
    from relancegit.engine.penalties import needed_periods

    penalties = ctx.config.penalties
    table = RateTable.for_config(ctx.config)
    cases_by_period: dict[str, int] = {}
    for _, case in ctx.candidates.cases:
        client = ctx.clients.get(case.client)
        if client is None or (client.type == "business" and penalties.fixed_rate is not None):
            continue
        notice = None
        if client.type == "consumer":
            policy = ctx.policy(case)[1] or DEFAULT_POLICY
            notice = next(
                (
                    e.date
                    for e in case.events
                    if isinstance(e, Reminder) and e.date <= ctx.today and is_formal_notice(e.step, policy.step(e.step))
                ),
                None,
            )
        periods = needed_periods(ctx.allocation(case), client.type, penalties, table, ctx.today, notice)
        for period in periods:
            cases_by_period[period] = cases_by_period.get(period, 0) + 1
    where = ("rates",) if ctx.config.rates else ("penalties", "rate")
    for period, count in sorted(cases_by_period.items()):
        yield warning(
            ctx.candidates.config_path,
            f"no rates known for {period}, needed for the penalty interest of {count} "
            f"case{'s' if count > 1 else ''}: add a row `{{period: {period}, ecb: …, legal_other: …}}` "
            "under `rates:` in relancegit.yaml (ECB main refinancing rate and legal rate, "
            "LEGAL-FR.md); interest stays unknown until then",
            *where,
            at=AT_KEY,
        )


def _known(names: Iterable[str]) -> str:
    listed = sorted(names)
    if not listed or len(listed) > 12:
        return ""
    return " (known: " + ", ".join(listed) + ")"


CONFIG_CHECKS: tuple[Check, ...] = (policy_steps, rate_rows, fixed_rate_floor)
CHECKS: tuple[Check, ...] = (
    client_references,
    client_vat,
    unique_case_ids,
    unique_invoice_numbers,
    case_references,
    invoice_dates,
    event_order,
    event_dates,
    plan_amounts,
    overpayment,
    credit_limit,
    missing_rates,
)


def run_checks(candidates: Candidates, today: date, config_ok: bool = True) -> list[Problem]:
    ctx = Context(candidates, today, {c.id: c for _, c in candidates.clients})
    checks = (*CONFIG_CHECKS, *CHECKS) if config_ok else CHECKS
    return [problem for check in checks for problem in check(ctx)]


__all__ = ["AT_KEY", "CHECKS", "Candidates", "run_checks"]
