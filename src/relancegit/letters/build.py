"""Building a letter's context from the engine's results, and choosing the letter.

Layer: render (input side). `build_context` gathers, from the `CaseState`s of one client's
cases, every block a letter prints (the shapes are in `context.py`); `step_for_next_action`
says which letter a case's next action calls for. Nothing here formats money or dates (the
templates do, through the language-bound filters), reads files or looks at the clock.

The only figures computed here rather than in the engine are letter-specific: the deadline
a letter gives (its date + the step's `deadline_days`, on a business day), the date reminders
ask payment by, the total claimed (principal + known interest + indemnity) and the debtor's
payment record on other cases.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import timedelta

from babel.lists import format_list
from babel.numbers import format_decimal

from relancegit.calendar import next_business_day
from relancegit.engine.facts import DEFAULT_NOTICE_DAYS, is_formal_notice
from relancegit.engine.schedule import ActionKind
from relancegit.engine.state import CaseState
from relancegit.formatting import LOCALES
from relancegit.letters.context import (
    ESCALATE,
    EXTRA_DOCUMENTS,
    HANDOVER,
    HANDOVER_STEPS,
    PLAN_AGREEMENT,
    PROMISE_BROKEN,
    PROMISE_CONFIRMATION,
    REFERENCE_MAX,
    REPLY_DAYS,
    SMALL_CLAIMS_LIMIT,
    ContactInfo,
    CreditorInfo,
    Day,
    DebtorInfo,
    EventLine,
    InstallmentLine,
    InvoiceLine,
    Keyword,
    LetterContext,
    OtherCase,
    PaymentInfo,
    PaymentRecord,
    Penalties,
    PlanInfo,
    PromiseInfo,
    RateTerms,
    keyword,
    one_line,
)
from relancegit.model import (
    ZERO,
    Call,
    Config,
    Contact,
    CreditNote,
    Dispute,
    Escalation,
    EventBase,
    Ledger,
    Pause,
    Payment,
    Plan,
    Policy,
    Promise,
    Reminder,
    Status,
    WriteOff,
)
from relancegit.problems import RelancegitError, UsageError

_POSTCODE_CITY = re.compile(r"^\s*(?:[A-Z]{1,2}-)?\d{4,5}\s+(.+?)(?:\s+cedex(?:\s+\d+)?)?\s*$", re.IGNORECASE)


# --- building it ---------------------------------------------------------------------------


def creditor_info(config: Config) -> CreditorInfo:
    creditor = config.creditor
    signatory = creditor.signatory or creditor.name
    name, _, title = signatory.partition(",")
    return CreditorInfo(
        name=one_line(creditor.name),
        address=tuple(one_line(line) for line in creditor.address),
        place=place_of(creditor.address),
        siren=creditor.siren,
        vat=creditor.vat,
        email=creditor.email,
        phone=creditor.phone,
        iban=creditor.iban,
        bic=creditor.bic,
        signatory=one_line(name),
        signatory_title=one_line(title) or None,
    )


def place_of(address: Sequence[str]) -> str:
    """The city of the last address line with a postcode ("69100 Villeurbanne" -> Villeurbanne)."""
    for line in reversed(address):
        match = _POSTCODE_CITY.match(line)
        if match:
            return one_line(match.group(1))
    return one_line(address[-1]) if address else ""


def _contact(contact: Contact) -> ContactInfo:
    return ContactInfo(
        name=one_line(contact.name),
        role=one_line(contact.role) if contact.role else None,
        email=contact.email.strip() if contact.email else None,
        phone=contact.phone,
    )


def debtor_info(state: CaseState) -> DebtorInfo:
    client = state.client
    contacts = tuple(_contact(c) for c in client.contacts)
    address = tuple(one_line(line) for line in client.address) if client.address else (one_line(client.name),)
    return DebtorInfo(
        id=Keyword(client.id),
        name=one_line(client.name),
        address=address,
        consumer=client.type == "consumer",
        siren=client.siren,
        vat=client.vat,
        contact=contacts[0] if contacts else None,
        contacts=contacts,
        notes=client.notes,
    )


def invoice_lines(state: CaseState) -> list[InvoiceLine]:
    lines = []
    for inv_state in state.allocation.invoices:
        invoice = inv_state.invoice
        penalty = state.penalties.for_invoice(invoice.number)
        remaining = inv_state.balance
        lines.append(
            InvoiceLine(
                case=Keyword(state.id),
                number=one_line(invoice.number),
                date=invoice.date,
                due=invoice.due,
                amount=invoice.amount,
                settled=inv_state.allocated,
                remaining=remaining,
                days_late=max(0, (state.today - invoice.due).days) if remaining > 0 else 0,
                interest=penalty.interest if penalty else None,
                indemnity=penalty.indemnity if penalty else ZERO,
                file=invoice.file,
            )
        )
    return lines


def rate_terms(config: Config, consumer: bool, language: str) -> RateTerms:
    penalties = config.penalties
    locale = LOCALES.get(language, language)
    fixed = penalties.fixed_rate
    # Consumers: the legal rate, from the formal notice (Code civil 1231-6, 1344-1).
    kind = "legal" if consumer else "fixed" if fixed is not None else "ecb"
    return RateTerms(
        kind=Keyword(kind),
        margin=format_decimal(penalties.ecb_margin, locale=locale),
        fixed=format_decimal(fixed, locale=locale) if fixed is not None else None,
        indemnity_each=penalties.indemnity,
    )


def _penalties(states: Sequence[CaseState], lines: Sequence[InvoiceLine], as_of: Day, consumer: bool) -> Penalties:
    numbers = {line.number for line in lines}
    per_invoice = [p for s in states for p in s.penalties.invoices if p.number in numbers]
    missing = tuple(sorted({m for p in per_invoice for m in p.missing_rates}))
    interest = None if missing else sum((p.interest or ZERO for p in per_invoice), ZERO)
    # CPCE L111-8: amicable collection costs stay with the creditor for consumers.
    indemnity = ZERO if consumer else sum((p.indemnity for p in per_invoice), ZERO)
    late = sum(1 for p in per_invoice if p.indemnity > 0)
    starts = [line.due + timedelta(days=1) for line in lines if line.days_late > 0]
    if consumer:
        notices = [s.facts.first_formal_notice for s in states if s.facts.first_formal_notice]
        starts = [min(notices) + timedelta(days=1)] if notices else []
    balance = sum((line.remaining for line in lines), ZERO)
    return Penalties(
        as_of=as_of,
        interest=interest,
        interest_from=min(starts) if starts else None,
        indemnity=indemnity,
        late_invoices=0 if consumer else late,
        missing_rates=missing,
        total=balance + (interest or ZERO) + indemnity,
    )


def claims_penalties(policy: Policy, config: Config, step: str) -> bool:
    """Letters from `penalties.claim_from_step` on (in policy order) state the penalties."""
    if step in HANDOVER_STEPS:
        return True
    claim_from = policy.step_index(config.penalties.claim_from_step)
    index = policy.step_index(step)
    return claim_from is not None and index is not None and index >= claim_from


def deadline_for(policy: Policy, step_id: str, letter_date: Day, holidays: str) -> tuple[Day | None, int | None]:
    """The date to pay by: the letter's date + the step's `deadline_days`, on a business day.
    A formal notice always gives one (docs/legal-fr.md: usually 8 to 15 days)."""
    step = policy.step(step_id)
    days = step.deadline_days if step is not None else None
    if days is None and is_formal_notice(step_id, step):
        days = DEFAULT_NOTICE_DAYS
    if days is None:
        return None, None
    return next_business_day(letter_date + timedelta(days=days), holidays), days


def event_line(case_id: str, event: EventBase, grace_days: int = 0) -> EventLine:
    fields: dict[str, object] = {}
    if isinstance(event, Reminder):
        fields = {"step": keyword(event.step), "channel": keyword(event.channel.value if event.channel else None)}
    elif isinstance(event, Call):
        fields = {"outcome": keyword(event.outcome), "step": keyword(event.step)}
    elif isinstance(event, Promise):
        fields = {"amount": event.amount, "due": event.due}
    elif isinstance(event, Payment):
        fields = {"amount": event.amount, "invoice": event.invoice, "ref": event.ref}
    elif isinstance(event, CreditNote):
        fields = {"amount": event.amount, "invoice": event.invoice, "number": event.number}
    elif isinstance(event, Plan):
        fields = {
            "installments": tuple(
                InstallmentLine(i + 1, inst.due, inst.amount, False) for i, inst in enumerate(event.installments)
            ),
            "amount": sum((i.amount for i in event.installments), ZERO),
            "signed": event.signed,
        }
    elif isinstance(event, Dispute):
        fields = {"reason": one_line(event.reason), "invoice": event.invoice}
    elif isinstance(event, Pause):
        fields = {"until": event.until}
    elif isinstance(event, Escalation):
        fields = {"to": keyword(event.to), "ref": event.ref}
    elif isinstance(event, WriteOff):
        fields = {"reason": one_line(event.reason)}
    kind = getattr(event, "type", "note")
    return EventLine(
        case=Keyword(case_id),
        date=event.date,
        type=Keyword(kind),
        note=one_line(event.note) if event.note else None,
        by=event.by,
        **fields,  # type: ignore[arg-type]
    )


def promise_info(state: CaseState) -> PromiseInfo | None:
    latest = state.promise
    if latest is None:
        return None
    return PromiseInfo(
        date=latest.promise.date,
        amount=latest.promise.amount,
        due=latest.promise.due,
        outcome=Keyword(latest.outcome.value),
        paid=latest.paid,
        broken_on=latest.broken_on,
        grace_days=state.policy.grace_days,
    )


def plan_info(state: CaseState) -> PlanInfo | None:
    plan = state.plan
    if plan is None:
        return None
    lines = []
    owed = ZERO
    missed = None
    for index, installment in enumerate(plan.plan.installments):
        owed += installment.amount
        line = InstallmentLine(index + 1, installment.due, installment.amount, plan.paid >= owed)
        lines.append(line)
        if plan.missed is not None and installment == plan.missed and missed is None:
            missed = line
    return PlanInfo(
        date=plan.plan.date,
        signed=plan.plan.signed,
        installments=tuple(lines),
        total=owed,
        paid=plan.paid,
        broken_on=plan.broken_on,
        missed=missed,
        grace_days=state.policy.grace_days,
        on_broken=Keyword(state.policy.on_broken_plan),
    )


def payment_record(others: Sequence[CaseState]) -> PaymentRecord:
    """Invoices of the client's other cases settled so far, and how late."""
    paid = late = 0
    days: list[int] = []
    open_cases = []
    for other in others:
        for inv in other.allocation.invoices:
            settled_on = inv.settled_on()
            if settled_on is None or any(s.kind == "write-off" for s in inv.settlements):
                continue
            paid += 1
            if settled_on > inv.invoice.due:
                late += 1
                days.append((settled_on - inv.invoice.due).days)
        if other.is_open:
            status = Keyword(other.status.value)
            open_cases.append(OtherCase(Keyword(other.id), status, other.balance, other.days_overdue))
    average = round(sum(days) / len(days)) if days else None
    return PaymentRecord(paid, late, average, tuple(open_cases))


def payment_reference(numbers: Sequence[str], fallback: str) -> str:
    text = " ".join(numbers)
    return text if 0 < len(text) <= REFERENCE_MAX else fallback


def build_context(
    ledger: Ledger,
    states: Sequence[CaseState],
    step: str,
    letter_date: Day,
    *,
    kind: str = "requested",
    header: bool = True,
    others: Sequence[CaseState] = (),
    overdue_only: bool = False,
) -> LetterContext:
    """The context of a letter at `step` about `states` (one case, or a client's consolidated
    cases, all of the same client), dated `letter_date`."""
    if not states:
        raise RelancegitError("no case to write about")
    config = ledger.config
    lead = states[0]
    client = lead.client
    language = ledger.language_for(client)
    consumer = client.type == "consumer"
    policy = lead.policy
    step_def = policy.step(step)

    lines = [line for s in states for line in invoice_lines(s)]
    open_lines = [line for line in lines if line.remaining > 0]
    if overdue_only:
        open_lines = [line for line in open_lines if line.overdue] or open_lines
    listed = open_lines or lines
    listed.sort(key=lambda line: (line.due, line.number))
    numbers = [line.number for line in listed]
    balance = sum((line.remaining for line in listed), ZERO)
    accrued = _penalties(states, listed, letter_date, consumer)
    claimed = accrued if claims_penalties(policy, config, step) else None
    deadline, deadline_days = deadline_for(policy, step, letter_date, config.holidays)
    history = tuple(
        sorted(
            (event_line(s.id, e) for s in states for e in s.facts.events),
            key=lambda e: e.date,
        )
    )
    contacts_done = tuple(e for e in history if e.type in ("reminder", "call"))
    reminders = [e for e in contacts_done if e.type == "reminder"]
    dispute = lead.facts.open_dispute
    consolidated = len(states) > 1
    reference = Keyword(client.id if consolidated else lead.id)
    principal_and_interest = balance + (accrued.interest or ZERO)
    return LetterContext(
        step=Keyword(step),
        channel=keyword(step_def.channel.value if step_def else None),
        kind=Keyword(kind),
        language=Keyword(language),
        tone=Keyword(client.relationship),
        header=header,
        date=letter_date,
        creditor=creditor_info(config),
        debtor=debtor_info(lead),
        cases=tuple(Keyword(s.id) for s in states),
        reference=reference,
        consolidated=consolidated,
        invoices=tuple(listed),
        invoice_numbers=format_list(numbers, locale=LOCALES.get(language, language)),
        several=len(listed) > 1,
        total=sum((line.amount for line in listed), ZERO),
        settled=sum((line.settled for line in listed), ZERO),
        balance=balance,
        reference_due=min(s.reference_due for s in states),
        days_overdue=max(s.days_overdue for s in states),
        business=not consumer,
        rate=rate_terms(config, consumer, language),
        penalties=claimed,
        accrued=accrued,
        deadline=deadline,
        deadline_days=deadline_days,
        reply_by=next_business_day(letter_date + timedelta(days=REPLY_DAYS), config.holidays),
        payment=PaymentInfo(
            holder=one_line(config.creditor.name),
            iban=config.creditor.iban,
            bic=config.creditor.bic,
            reference=payment_reference(numbers, reference),
        ),
        contacts_done=contacts_done,
        last_reminder=reminders[-1] if reminders else None,
        next_step=keyword(plan_b(lead, step)),
        history=history,
        promise=promise_info(lead),
        plan=plan_info(lead),
        dispute=event_line(lead.id, dispute) if dispute is not None else None,
        record=payment_record(others),
        prescription=min((s.deadlines.prescription for s in states if s.deadlines.prescription), default=None),
        prescription_from=min(
            (s.deadlines.prescription_from for s in states if s.deadlines.prescription_from), default=None
        ),
        escalation_date=min((s.deadlines.escalation for s in states if s.deadlines.escalation), default=None),
        notice_deadline=max((s.deadlines.formal_notice for s in states if s.deadlines.formal_notice), default=None),
        small_claims=principal_and_interest <= SMALL_CLAIMS_LIMIT,
        small_claims_limit=SMALL_CLAIMS_LIMIT,
        status=Keyword(lead.status.value),
    )


def plan_b(state: CaseState, step: str) -> str | None:
    """The step that follows `step` if it brings nothing: the next one in the policy, or for
    a document outside it the first step not done yet."""
    policy = state.policy
    index = policy.step_index("call" if step == PROMISE_BROKEN else step)
    if index is not None:
        return policy.steps[index + 1].id if index + 1 < len(policy.steps) else None
    done = state.facts.done_steps
    past_due = state.today > state.reference_due
    upcoming = (s.id for s in policy.steps if s.id not in done and not (past_due and s.offset < 0))
    return next(upcoming, None)


# --- which letter ----------------------------------------------------------------------------


def known_steps(policy: Policy) -> list[str]:
    return [s.id for s in policy.steps] + [d for d in EXTRA_DOCUMENTS if policy.step(d) is None]


def check_step(policy: Policy, step: str) -> None:
    if policy.step(step) is None and step not in EXTRA_DOCUMENTS:
        raise UsageError(f"unknown step '{step}' (expected one of: {', '.join(known_steps(policy))})")


def step_for_next_action(state: CaseState) -> tuple[str, str]:
    """The letter of the case's next action, and the action's kind.

    Dunning steps give their own letter; a broken promise gives the call script; a pending
    promise its written confirmation; an active plan its échéancier. A dispute stops dunning
    and a paid case needs no letter: those ask for an explicit `--step`."""
    action = state.next_action
    if action is None:
        word = "paid" if state.status == Status.PAID else "written off"
        raise RelancegitError(f"case '{state.id}' is {word}: no letter to send (give --step to render one anyway)")
    kind = action.kind
    if kind in (ActionKind.STEP, ActionKind.PLAN_BROKEN) and action.step:
        return action.step, kind.value
    if kind == ActionKind.PROMISE_BROKEN:
        return PROMISE_BROKEN, kind.value
    if kind == ActionKind.PROMISE_CHECK:
        return PROMISE_CONFIRMATION, kind.value
    if kind == ActionKind.PLAN_CHECK:
        return PLAN_AGREEMENT, kind.value
    if kind == ActionKind.ESCALATION_FOLLOWUP:
        return (ESCALATE if state.policy.step(ESCALATE) else HANDOVER), kind.value
    raise RelancegitError(
        f"case '{state.id}' has an open dispute (review on {action.date.isoformat()}): dunning letters "
        "are stopped until it is resolved (give --step to render one anyway)"
    )


def step_rank(state: CaseState, step: str) -> int:
    """A step's place in the case's policy; the call script of a broken promise ranks as the call."""
    if step == PROMISE_BROKEN:
        step = "call"
    index = state.policy.step_index(step)
    return -1 if index is None else index
