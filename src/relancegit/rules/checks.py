"""Cross-file and legal checks on the files that parsed and validated on their own.

Layer: (candidates, today) -> problems. Each check is a small named function returning
problems with the path of the offending value; `CONFIG_CHECKS`, `CLIENT_CHECKS`, `CASE_CHECKS`,
`CASE_FILE_CHECKS` and `CROSS_CHECKS` list them. Nothing here reads ledger files (only
`CASE_FILE_CHECKS` look whether a sent document's copy exists) or raises for a data problem.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import NamedTuple

from relancegit.engine.allocation import Allocation, allocate
from relancegit.engine.facts import is_formal_notice
from relancegit.engine.penalties import RateSource, needed_periods
from relancegit.engine.rates import RateTable, period_of
from relancegit.engine.voids import live_events
from relancegit.model import (
    DEFAULT_POLICY,
    ZERO,
    Call,
    Case,
    Client,
    Config,
    CreditNote,
    DebtorType,
    Dispute,
    DisputeResolved,
    Pause,
    Payment,
    Plan,
    Policy,
    Promise,
    Reminder,
    Void,
    WriteOff,
)
from relancegit.problems import AT_KEY, Problem, error, warning
from relancegit.rules.suggest import closest, did_you_mean

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
    clients: dict[str, Client]  # the client files without problems of their own
    rates: RateTable
    _latest_unknown: dict[str, tuple[int, int]] = field(default_factory=dict)

    @property
    def config(self) -> Config:
        return self.candidates.config

    @cached_property
    def resolved_root(self) -> Path:
        """The ledger folder, symbolic links resolved (once: most cases never need it)."""
        return self.candidates.root.resolve()

    def policy(self, case: Case) -> tuple[str, Policy | None]:
        policy_id = self.candidates.policy_id(case, self.clients)
        return policy_id, self.config.policies.get(policy_id)

    def latest_unknown_half_year(self, debtor: DebtorType) -> tuple[int, int]:
        """The latest half-year up to today's whose interest rate for this kind of debtor is
        unknown, as (year, 1 or 2); (0, 0) when none ever is (a contractual fixed rate)."""
        found = self._latest_unknown.get(debtor)
        if found is None:
            source = RateSource(self.rates, self.config.penalties, debtor)
            year, half = _half_year(self.today)
            first = min((_period(p) for p in self.rates.periods()), default=(year, half))
            # Walk back through the table; past its first row only a fixed rate is known.
            while (year, half) >= first and source.rate(f"{year}-H{half}") is not None:
                year, half = (year, 1) if half == 2 else (year - 1, 2)
            found = (year, half) if source.rate(f"{year}-H{half}") is None else (0, 0)
            self._latest_unknown[debtor] = found
        return found


def _period(text: str) -> tuple[int, int]:
    year, half = text.split("-H")
    return int(year), int(half)


def _half_year(day: date) -> tuple[int, int]:
    return day.year, 1 if day.month <= 6 else 2


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
    table = ctx.rates
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
            yield error(path, f"unknown policy '{client.policy}'{_hint(client.policy, ctx.config.policies)}", "policy")


def unique_client_ids(ctx: Context) -> Iterator[Problem]:
    """clients/acme.yaml and clients/acme.yml would both be client 'acme': the first stays."""
    first: dict[str, Path] = {}
    for path, client in ctx.candidates.clients:
        if client.id in first:
            yield error(path, f"duplicate client id '{client.id}' (also in {first[client.id]})", "id")
        else:
            first[client.id] = path


def client_vat(ctx: Context) -> Iterator[Problem]:
    for path, client in ctx.candidates.clients:
        if client.vat:
            from stdnum.eu import vat  # imported only when needed: it loads every EU country

            if not vat.is_valid(client.vat):
                yield error(path, f"invalid VAT number '{client.vat}'", "vat")


def contact_emails(ctx: Context) -> Iterator[Problem]:
    """A contact's e-mail address must be one address that `send` can put in a To: header."""
    for path, client in ctx.candidates.clients:
        for index, contact in enumerate(client.contacts or ()):
            if contact.email is not None:
                reason = email_address_problem(contact.email)
                if reason:
                    shown = contact.email.encode("unicode_escape").decode("ascii")
                    yield error(path, f"invalid e-mail address '{shown}': {reason}", "contacts", index, "email")


def email_address_problem(address: str) -> str | None:
    """Why `address` is not one plain e-mail address (user@domain), or None when it is."""
    if any(ord(c) < 32 or ord(c) == 127 for c in address):
        return "it contains a line break or a control character"
    if any(c in address for c in ",;"):
        return "give one address per contact (a comma or semicolon separates several)"
    if any(c.isspace() or c in '<>()[]\\"' for c in address):
        return "give the bare address (user@domain), without spaces, a name or brackets"
    username, at, domain = address.partition("@")
    if not at or not username or not domain or "@" in domain:
        return "expected one user@domain"
    if domain.startswith(".") or domain.endswith(".") or ".." in domain:
        return f"the domain '{domain}' is not valid"
    return None


# --- one case at a time --------------------------------------------------------------------
# These read one case, its client and the configuration, nothing else: `check` runs them in
# worker processes and caches what they find per case file (read.mapreduce.check_ledger).


@dataclass
class CaseCheck:
    """One valid case under check, with what its checks share (allocation, policy)."""

    ctx: Context
    path: Path
    case: Case

    @cached_property
    def allocation(self) -> Allocation:
        """The case's allocation as of today, computed once for all its checks."""
        return allocate(self.case, self.ctx.today)

    @cached_property
    def policy(self) -> tuple[str, Policy | None]:
        return self.ctx.policy(self.case)

    @property
    def client(self) -> Client | None:
        return self.ctx.clients.get(self.case.client)


class CaseFacts(NamedTuple):
    """What the cross-file checks need of one case: small, so it crosses processes and sits
    in the cache cheaply (a named tuple of plain values unpickles several times faster than a
    dataclass holding a `Path`)."""

    path: str
    id: str
    client: str
    invoices: tuple[str, ...]
    exposure: Decimal  # open balance counted against the client's credit limit (0 if none)
    missing_periods: tuple[str, ...]  # unknown half-years its penalty interest needs


def case_references(c: CaseCheck) -> Iterator[Problem]:
    path, case = c.path, c.case
    if case.policy and case.policy not in c.ctx.config.policies:
        yield error(path, f"unknown policy '{case.policy}'{_hint(case.policy, c.ctx.config.policies)}", "policy")
        return
    policy_id, policy = c.policy
    if case.start_step and policy is not None and policy.step(case.start_step) is None:
        steps = _steps_hint(case.start_step, [s.id for s in policy.steps])
        yield error(path, f"unknown step '{case.start_step}' in policy '{policy_id}' ({steps})", "start_step")
    numbers = {inv.number for inv in case.invoices}
    for i, event in enumerate(case.events):
        step = event.step if isinstance(event, (Reminder, Call)) else None
        if step and policy is not None and policy.step(step) is None:
            steps = _steps_hint(step, [s.id for s in policy.steps])
            yield error(path, f"unknown step '{step}' in policy '{policy_id}' ({steps})", "events", i, "step")
        invoice = event.invoice if isinstance(event, (Payment, CreditNote, Dispute)) else None
        if invoice is not None and invoice not in numbers:
            yield error(path, f"unknown invoice '{invoice}' in case {case.id}{_known(numbers)}", "events", i, "invoice")


def invoice_dates(c: CaseCheck) -> Iterator[Problem]:
    path, client = c.path, c.client
    for i, invoice in enumerate(c.case.invoices):
        if invoice.due < invoice.date:
            yield error(path, f"due date {invoice.due} is before the invoice date {invoice.date}", "invoices", i, "due")
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
                path, f"net amount {invoice.net} is greater than the amount due {invoice.amount}", "invoices", i, "net"
            )


def event_order(c: CaseCheck) -> Iterator[Problem]:
    previous: date | None = None
    today = c.ctx.today
    for i, event in enumerate(c.case.events):
        if previous is not None and event.date < previous:
            yield error(
                c.path,
                f"event dated {event.date} comes after one dated {previous}: events are appended in date order",
                "events",
                i,
                "date",
            )
        previous = max(previous, event.date) if previous else event.date
        if event.date > today:
            yield warning(
                c.path,
                f"event dated {event.date} is after today ({today}): it is ignored until then",
                "events",
                i,
                "date",
            )


def event_dates(c: CaseCheck) -> Iterator[Problem]:
    path = c.path
    open_dispute = False
    for i, event in enumerate(c.case.events):
        if isinstance(event, Promise) and event.due < event.date:
            yield error(
                path, f"promised date {event.due} is before the promise itself ({event.date})", "events", i, "due"
            )
        elif isinstance(event, Pause) and event.until < event.date:
            yield error(path, f"pause until {event.until} ends before it starts ({event.date})", "events", i, "until")
        elif isinstance(event, Reminder) and event.received is not None and event.received < event.date:
            yield error(
                path,
                f"received on {event.received}, before the letter was sent ({event.date})",
                "events",
                i,
                "received",
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


def plan_amounts(c: CaseCheck) -> Iterator[Problem]:
    """The latest plan's installments against the balance on its date: a later plan replaces
    an earlier one, whose figures then no longer matter (nor does a voided plan)."""
    plans = [(i, e) for i, e in live_events(c.case, c.ctx.today) if isinstance(e, Plan)]
    if not plans:
        return
    i, plan = plans[-1]
    balance = allocate(c.case, plan.date).balance
    planned = sum((inst.amount for inst in plan.installments), ZERO)
    if planned != balance:
        yield warning(
            c.path,
            f"installments total {_money(planned)} but the balance on {plan.date} is {_money(balance)}",
            "events",
            i,
            "installments",
        )


def overpayment(c: CaseCheck) -> Iterator[Problem]:
    received = ZERO
    total = c.case.total
    for i, event in live_events(c.case, c.ctx.today):
        if not isinstance(event, (Payment, CreditNote)):
            continue
        before = received
        received += event.amount
        if received > total >= before:
            yield warning(
                c.path,
                f"overpayment: payments and credit notes reach {_money(received)}, "
                f"more than the {_money(total)} invoiced",
                "events",
                i,
                "amount",
            )


def exposure(c: CaseCheck) -> Decimal:
    """The case's open balance against its client's credit limit (written-off cases count 0)."""
    if any(isinstance(e, WriteOff) for _, e in live_events(c.case, c.ctx.today)):
        return ZERO
    return max(c.allocation.balance, ZERO)


def missing_periods(c: CaseCheck) -> tuple[str, ...]:
    """Half-years whose rates the case's penalty interest needs and the table lacks (docs/engine.md)."""
    client, penalties = c.client, c.ctx.config.penalties
    if client is None or (client.type == "business" and penalties.fixed_rate is not None):
        return ()
    # Interest runs from the day after a due date to today: when every half-year from the
    # oldest due date on is known, nothing can be missing (the common case, answered at once).
    if _half_year(min(inv.due for inv in c.case.invoices)) > c.ctx.latest_unknown_half_year(client.type):
        return ()
    notice = None
    if client.type == "consumer":
        policy = c.policy[1] or DEFAULT_POLICY
        notice = next(
            (
                e.date
                for _, e in live_events(c.case, c.ctx.today)
                if isinstance(e, Reminder) and is_formal_notice(e.step, policy.step(e.step))
            ),
            None,
        )
    return tuple(sorted(needed_periods(c.allocation, client.type, penalties, c.ctx.rates, c.ctx.today, notice)))


def void_references(c: CaseCheck) -> Iterator[Problem]:
    """A `void` cancels one earlier event of the same case, once; a void cannot be voided."""
    events = c.case.events
    voided_by: dict[int, int] = {}
    for i, event in enumerate(events):
        if not isinstance(event, Void):
            continue
        target = event.event - 1
        if target >= i:
            before = "no event" if i == 0 else ("1 event" if i == 1 else f"{i} events")
            yield error(
                c.path,
                f"void of event {event.event}: a void cancels an earlier event of this case ({before} before it)",
                "events",
                i,
                "event",
            )
        elif isinstance(events[target], Void):
            yield error(
                c.path, f"event {event.event} is a void: to restore an event, record it again", "events", i, "event"
            )
        elif target in voided_by:
            yield error(
                c.path,
                f"event {event.event} is already voided by event {voided_by[target] + 1}",
                "events",
                i,
                "event",
            )
        else:
            voided_by[target] = i


def sent_documents(c: CaseCheck) -> Iterator[Problem]:
    """A reminder's `document:` names the kept copy of what was sent: a file inside the ledger.
    Missing is a warning (a clone without the copies' contents); leading outside it, an error."""
    for i, event in enumerate(c.case.events):
        if not isinstance(event, Reminder) or not event.document:
            continue
        root = c.ctx.resolved_root
        path = (root / event.document).resolve()
        if not path.is_relative_to(root):
            yield error(c.path, f"document '{event.document}' leads outside the ledger", "events", i, "document")
        elif not path.is_file():
            yield warning(
                c.path, f"document '{event.document}' not found (the copy of what was sent)", "events", i, "document"
            )


CaseCheckFunction = Callable[[CaseCheck], Iterable[Problem]]
# The checks that read only the case, its client, the configuration and today. Their outcome
# stays the same from one day to a later one of the same half-year when every date of the case
# is before the first (`read.load` caches it so): events are compared with today only by
# `date > today` (live or future), interest runs from the day after a due date or a notice to
# today, and rates go by half-year.
CASE_CHECKS: tuple[CaseCheckFunction, ...] = (
    case_references,
    invoice_dates,
    event_order,
    event_dates,
    plan_amounts,
    overpayment,
    void_references,
)
# The checks that also read other files (the kept copies of sent documents): run every time,
# on the cases whose events name a document (`read.load.CaseFile.documents`).
CASE_FILE_CHECKS: tuple[CaseCheckFunction, ...] = (sent_documents,)


def check_case(ctx: Context, path: Path, case: Case) -> tuple[list[Problem], CaseFacts]:
    """The problems of one valid case on its own, and its facts for the cross-file checks."""
    problems, facts = check_case_alone(ctx, path, case)
    return [*problems, *check_case_files(ctx, path, case)], facts


def check_case_alone(ctx: Context, path: Path, case: Case) -> tuple[list[Problem], CaseFacts]:
    """`CASE_CHECKS` and the facts: what depends on the case, its client, the configuration
    and today only."""
    c = CaseCheck(ctx, path, case)
    problems = [problem for check in CASE_CHECKS for problem in check(c)]
    facts = CaseFacts(
        path=str(path),
        id=case.id,
        client=case.client,
        invoices=tuple(inv.number for inv in case.invoices),
        exposure=exposure(c),
        missing_periods=missing_periods(c),
    )
    return problems, facts


def check_case_files(ctx: Context, path: Path, case: Case) -> list[Problem]:
    """`CASE_FILE_CHECKS`: what a case's checks read beyond it."""
    c = CaseCheck(ctx, path, case)
    return [problem for check in CASE_FILE_CHECKS for problem in check(c)]


# --- across cases --------------------------------------------------------------------------


def unique_case_ids(ctx: Context, facts: list[CaseFacts]) -> Iterator[Problem]:
    first: dict[str, str] = {}
    for f in facts:
        if f.id in first:
            yield error(Path(f.path), f"duplicate case id '{f.id}' (also in {first[f.id]})", "id")
        else:
            first[f.id] = f.path


def unique_invoice_numbers(ctx: Context, facts: list[CaseFacts]) -> Iterator[Problem]:
    first: dict[str, str] = {}
    for f in facts:
        for i, number in enumerate(f.invoices):
            if number in first:
                yield error(
                    Path(f.path),
                    f"duplicate invoice number '{number}' (also in case {first[number]})",
                    "invoices",
                    i,
                    "number",
                )
            else:
                first[number] = f.id


def case_clients(ctx: Context, facts: list[CaseFacts]) -> Iterator[Problem]:
    for f in facts:
        if f.client not in ctx.clients:
            if f.client in ctx.candidates.broken_clients:
                yield error(Path(f.path), f"client '{f.client}' has errors in its file (see clients/)", "client")
            else:
                known = [*ctx.clients, *ctx.candidates.broken_clients]
                yield error(Path(f.path), f"unknown client '{f.client}'{did_you_mean(f.client, known)}", "client")


def credit_limit(ctx: Context, facts: list[CaseFacts]) -> Iterator[Problem]:
    exposures: dict[str, Decimal] = {}
    for f in facts:
        if f.exposure > 0:
            exposures[f.client] = exposures.get(f.client, ZERO) + f.exposure
    for path, client in ctx.candidates.clients:
        owed = exposures.get(client.id, ZERO)
        if client.credit_limit is not None and owed > client.credit_limit:
            yield warning(
                path,
                f"exposure {_money(owed)} is above the credit limit {_money(client.credit_limit)}",
                "credit_limit",
            )


def missing_rates(ctx: Context, facts: list[CaseFacts]) -> Iterator[Problem]:
    """Once per unknown half-year that some case's penalty interest needs (docs/engine.md): name the
    `rates:` row to add. Interest is never computed on a guessed rate."""
    cases_by_period: dict[str, int] = {}
    for f in facts:
        for period in f.missing_periods:
            cases_by_period[period] = cases_by_period.get(period, 0) + 1
    where = ("rates",) if ctx.config.rates else ("penalties", "rate")
    for period, count in sorted(cases_by_period.items()):
        yield warning(
            ctx.candidates.config_path,
            f"no rates known for {period}, needed for the penalty interest of {count} "
            f"case{'s' if count > 1 else ''}: add a row `{{period: {period}, ecb: …, legal_other: …}}` "
            "under `rates:` in relancegit.yaml (ECB main refinancing rate and legal rate; "
            "`relancegit rates` prints the lines to add, docs/legal-fr.md the sources); "
            "interest stays unknown until then",
            *where,
            at=AT_KEY,
        )


def _hint(word: str, names: Iterable[str]) -> str:
    """ " (did you mean 'x'?)" for a close name, else the known names when they are few."""
    listed = list(names)
    return did_you_mean(word, listed) or _known(listed)


def _steps_hint(word: str, steps: list[str]) -> str:
    found = closest(word, steps)
    listed = ", ".join(steps)
    return f"did you mean '{found}'? steps: {listed}" if found else f"steps: {listed}"


def _known(names: Iterable[str]) -> str:
    listed = sorted(names)
    if not listed or len(listed) > 12:
        return ""
    return " (known: " + ", ".join(listed) + ")"


CONFIG_CHECKS: tuple[Check, ...] = (policy_steps, rate_rows, fixed_rate_floor)
CLIENT_CHECKS: tuple[Check, ...] = (unique_client_ids, client_references, client_vat, contact_emails)
CrossCheck = Callable[[Context, list[CaseFacts]], Iterable[Problem]]
CROSS_CHECKS: tuple[CrossCheck, ...] = (
    unique_case_ids,
    unique_invoice_numbers,
    case_clients,
    credit_limit,
    missing_rates,
)


def context(candidates: Candidates, today: date) -> Context:
    """What every check shares; `candidates.cases` may be empty when the cases are checked
    elsewhere (worker processes) and only their facts come back."""
    clients: dict[str, Client] = {}
    for _, client in candidates.clients:
        clients.setdefault(client.id, client)  # a duplicate id is an error; the first file stays
    return Context(candidates, today, clients, RateTable.for_config(candidates.config))


def ledger_checks(ctx: Context, facts: list[CaseFacts], config_ok: bool = True) -> list[Problem]:
    """The configuration, client and cross-file checks, given every valid case's facts."""
    checks: tuple[Check, ...] = (*CONFIG_CHECKS, *CLIENT_CHECKS) if config_ok else CLIENT_CHECKS
    problems = [problem for check in checks for problem in check(ctx)]
    problems.extend(problem for cross in CROSS_CHECKS for problem in cross(ctx, facts))
    return problems


def run_checks(candidates: Candidates, today: date, config_ok: bool = True) -> list[Problem]:
    """Every check on the files that parsed and validated on their own."""
    ctx = context(candidates, today)
    problems: list[Problem] = []
    facts: list[CaseFacts] = []
    for path, case in candidates.cases:
        found, case_facts = check_case(ctx, path, case)
        problems.extend(found)
        facts.append(case_facts)
    problems.extend(ledger_checks(ctx, facts, config_ok))
    return problems


__all__ = [
    "AT_KEY",
    "CASE_CHECKS",
    "CASE_FILE_CHECKS",
    "CROSS_CHECKS",
    "Candidates",
    "CaseFacts",
    "check_case",
    "check_case_alone",
    "check_case_files",
    "context",
    "ledger_checks",
    "run_checks",
]
