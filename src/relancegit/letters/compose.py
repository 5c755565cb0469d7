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
from dataclasses import fields, replace
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from babel.lists import format_list
from babel.numbers import format_decimal

from relancegit.engine.business_days import next_business_day
from relancegit.engine.facts import DEFAULT_NOTICE_DAYS, is_formal_notice
from relancegit.engine.penalties import RateSource
from relancegit.engine.rates import RateTable, period_of
from relancegit.engine.schedule import ActionKind
from relancegit.engine.state import CaseState
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
    PenaltyFigures,
    PlanInfo,
    PromiseInfo,
    RateTerms,
    keyword,
    one_line,
)
from relancegit.letters.typography import typeset
from relancegit.model import (
    ZERO,
    Client,
    Config,
    Contact,
    EventBase,
    Ledger,
    Plan,
    Policy,
    Status,
)
from relancegit.problems import RelancegitError, UsageError
from relancegit.render.formatting import LOCALES, phone_international

# A consumer's plan is not cancelled without notice (Code de la consommation L212-1): a formal
# notice gives this many days to catch up before the whole balance falls due.
CONSUMER_PLAN_NOTICE_DAYS = 15

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


# Common French job titles, for English letters (a title not listed is printed as written).
ROLES_EN = {
    "gérant": "Managing Director",
    "gérante": "Managing Director",
    "président": "Chairman",
    "présidente": "Chair",
    "directeur général": "Managing Director",
    "directrice générale": "Managing Director",
    "directeur financier": "Finance Director",
    "directrice financière": "Finance Director",
    "directeur administratif et financier": "Finance Director",
    "directrice administrative et financière": "Finance Director",
    "comptable": "Accountant",
    "responsable comptable": "Chief Accountant",
    "chef comptable": "Chief Accountant",
    "assistante de direction": "Executive Assistant",
    "assistant de direction": "Executive Assistant",
    "responsable des achats": "Purchasing Manager",
    "acheteur": "Buyer",
    "acheteuse": "Buyer",
}
# Roles that only say the person is the debtor: never printed in a letter to them.
SELF_ROLES = frozenset({"client", "cliente", "particulier", "particulière", "customer"})


def role_in(role: str | None, language: str) -> str | None:
    """A contact's or signatory's title in the letter's language (English: common French titles)."""
    if not role:
        return None
    text = one_line(role)
    if text.casefold() in SELF_ROLES:
        return None
    return ROLES_EN.get(text.casefold(), text) if language == "en" else text


def _contact(contact: Contact, language: str = "fr") -> ContactInfo:
    return ContactInfo(
        name=one_line(contact.name),
        civility=keyword(contact.civility),
        role=role_in(contact.role, language),
        email=contact.email.strip() if contact.email else None,
        phone=contact.phone,
    )


_CIVILITY_PREFIX = re.compile(r"^(Mme|M\.)\s+(\S.*)$")


def split_civility(name: str) -> tuple[str | None, str]:
    """A name written with its civility ("Mme Linh Nguyen") as ("Mme", "Linh Nguyen")."""
    match = _CIVILITY_PREFIX.match(name)
    return (match.group(1), match.group(2)) if match else (None, name)


def _named(civility: str | None, name: str, language: str) -> str:
    """ "Mme Linh Nguyen" / "Ms Linh Nguyen"; the name alone without a civility."""
    written, bare = split_civility(name)
    if written is not None:
        civility, name = civility or written, bare
    if civility is None:
        return name
    if language == "en":
        civility = {"Mme": "Ms", "M.": "Mr"}.get(civility, civility)
    return f"{civility} {name}"


def greeting(civility: str | None, name: str | None, language: str) -> tuple[str, bool]:
    """The salutation without its comma, and whether it names the person."""
    if language == "en":
        if name is None:
            return "Dear Sir or Madam", False
        if civility is None:
            return f"Dear {name}", True
        # The family name: all but the first name ("Jan De Smet" -> "Mr De Smet").
        words = split_civility(name)[1].split()
        surname = " ".join(words[1:]) or words[0]
        return f"Dear {_named(civility, surname, 'en')}", True
    if civility == "Mme":
        return "Madame", True
    if civility == "M.":
        return "Monsieur", True
    return "Madame, Monsieur", False


def _same(a: str, b: str) -> bool:
    return one_line(a).casefold() == one_line(b).casefold()


def debtor_info(state: CaseState, language: str = "fr") -> DebtorInfo:
    client = state.client
    consumer = client.type == "consumer"
    contacts = tuple(_contact(c, language) for c in client.contacts)
    name = one_line(client.name)
    lines = [one_line(line) for line in client.address] if client.address else []
    if not lines or not _same(lines[0], name):
        lines.insert(0, name)
    address = tuple(lines)
    addressee = contacts[0] if contacts else None
    if consumer:
        # A letter to a private person is addressed to them by name: no "for the attention of".
        written, bare = split_civility(name)
        person = addressee if addressee is not None and _same(addressee.name, bare) else None
        civility = client.civility or written or (person.civility if person else None)
        window = (_named(civility, address[0], language), *address[1:])
        words, named = greeting(civility, name, language)
        addressee = None
    else:
        window = address
        if addressee is not None:
            label = "À l'attention de" if language == "fr" else "For the attention of"
            who = _named(addressee.civility, addressee.name, language)
            role = f", {addressee.role}" if addressee.role else ""
            window = (address[0], typeset(f"{label} {who}{role}", language), *address[1:])
        words, named = greeting(
            addressee.civility if addressee else None, addressee.name if addressee else None, language
        )
        civility = addressee.civility if addressee else None
    return DebtorInfo(
        id=Keyword(client.id),
        name=name,
        address=address,
        window=window,
        greeting=words,
        named=named,
        civility=keyword(civility),
        consumer=consumer,
        siren=client.siren,
        vat=client.vat,
        contact=addressee,
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
                net=invoice.net,
            )
        )
    return lines


def rate_terms(config: Config, consumer: bool, language: str, day: Day | None = None) -> RateTerms:
    """How interest is computed, with the annual rate of `day`'s half-year when it is known."""
    penalties = config.penalties
    locale = LOCALES.get(language, language)
    fixed = penalties.fixed_rate
    # Consumers: the legal rate, from the formal notice (Code civil 1231-6, 1344-1).
    kind = "legal" if consumer else "fixed" if fixed is not None else "ecb"
    current = period = None
    if day is not None:
        source = RateSource(RateTable.for_config(config), penalties, "consumer" if consumer else "business")
        value = source.rate(period_of(day))
        if value is not None:
            current = format_decimal(value, format="#,##0.00##", locale=locale)
            period = Keyword(period_of(day))
    return RateTerms(
        kind=Keyword(kind),
        margin=format_decimal(penalties.ecb_margin, locale=locale),
        fixed=format_decimal(fixed, locale=locale) if fixed is not None else None,
        indemnity_each=penalties.indemnity,
        current=current,
        period=period,
        waive_if_plan_kept=penalties.waive_if_plan_kept,
    )


def _penalties(states: Sequence[CaseState], lines: Sequence[InvoiceLine], as_of: Day, consumer: bool) -> PenaltyFigures:
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
    return PenaltyFigures(
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


# What a letter's history keeps of any event type: its fields of the same name as `EventLine`'s,
# closed-list values as keywords and free text on one line. A new event type needs no code here.
_LINE_FIELDS = frozenset(f.name for f in fields(EventLine)) - {"case", "date", "type", "note", "by"}
_KEYWORD_FIELDS = frozenset({"step", "channel", "outcome", "to", "kind"})
_FREE_TEXT_FIELDS = frozenset({"reason", "court"})


def event_line(case_id: str, event: EventBase, grace_days: int = 0) -> EventLine:
    values: dict[str, object] = {}
    for name in type(event).model_fields.keys() & _LINE_FIELDS:
        value = getattr(event, name)
        if name in _KEYWORD_FIELDS:
            value = keyword(None if value is None else str(value))
        elif name in _FREE_TEXT_FIELDS and value is not None:
            value = one_line(value)
        values[name] = value
    if isinstance(event, Plan):
        values["installments"] = tuple(
            InstallmentLine(i + 1, inst.due, inst.amount, False) for i, inst in enumerate(event.installments)
        )
        values["amount"] = sum((i.amount for i in event.installments), ZERO)
    return EventLine(
        case=Keyword(case_id),
        date=event.date,
        type=Keyword(event.type_name),
        note=one_line(event.note) if event.note else None,
        by=event.by,
        **values,  # type: ignore[arg-type]
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


_FRENCH_POSTCODE_LINE = re.compile(r"^\d{5}\s")


def abroad(client: Client) -> bool:
    """Whether the debtor's address ends with a country other than France (a French address
    ends with its postcode and town, or with "France")."""
    if not client.address:
        return False
    last = client.address[-1].strip()
    return not (_FRENCH_POSTCODE_LINE.match(last) or last.casefold() == "france")


def _phone_for(phone: str | None, language: str, foreign: bool = False) -> str | None:
    """The creditor's number for readers abroad (English letters, or any letter to an address
    abroad) in international form; a number rewritten that way holds only digits, spaces and a
    leading +, so it is no free text."""
    if phone is None or (language == "fr" and not foreign):
        return phone
    international = phone_international(phone)
    return Keyword(international) if international != phone else phone


def is_pre_due(policy: Policy, step: str) -> bool:
    """A step before the due date (negative offset): a courtesy notice, not a reminder."""
    definition = policy.step(step)
    return definition is not None and definition.offset < 0


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
        case=Keyword(state.id),
        arrears=max(ZERO, sum((i.amount for i in plan.plan.installments if i.due <= state.today), ZERO) - plan.paid),
        consumer_notice_days=CONSUMER_PLAN_NOTICE_DAYS,
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
            broken = other.plan is not None and other.plan.broken_on is not None
            open_cases.append(OtherCase(Keyword(other.id), status, other.balance, other.days_overdue, broken))
    average = round(sum(days) / len(days)) if days else None
    return PaymentRecord(paid, late, average, tuple(open_cases))


def payment_reference(cases: Sequence[str], fallback: str) -> str:
    """What the debtor quotes with a transfer: the case reference(s) printed on the letter
    (one short reference the creditor matches, rather than a list of invoice numbers)."""
    text = " ".join(cases)
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
    if kind == "requested" and is_pre_due(policy, step):
        # Rendering a notice already recorded (what was sent) stays possible.
        late = [s for s in states if s.days_overdue > 0 and s.balance > 0 and step not in s.facts.done_steps]
        if late:
            raise RelancegitError(
                f"case '{late[0].id}' fell due on {late[0].reference_due.isoformat()}: the {step} notice is for "
                "invoices not yet due; render a reminder instead (relancegit letter "
                f"{late[0].id} --step {next_dunning_step(policy, step) or 'STEP'})"
            )

    lines = [line for s in states for line in invoice_lines(s)]
    open_lines = [line for line in lines if line.remaining > 0]
    if overdue_only:
        open_lines = [line for line in open_lines if line.overdue] or open_lines
        # A case with nothing overdue (its pre-due notice is due) is not part of a dunning letter.
        listed_cases = {line.case for line in open_lines}
        states = [s for s in states if s.id in listed_cases] or list(states)
        lead = states[0]
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
    # Reminders about the unpaid debt: a courtesy notice sent before the due date is not one.
    contacts_done = tuple(
        e
        for e in history
        if e.type == "call" or (e.type == "reminder" and not (e.step and is_pre_due(policy, str(e.step))))
    )
    reminders = [e for e in contacts_done if e.type == "reminder"]
    dispute = lead.facts.open_dispute
    consolidated = len(states) > 1
    reference = Keyword(client.id if consolidated else lead.id)
    case_ids = sorted(s.id for s in states)
    plans = [p for p in (plan_info(s) for s in states) if p is not None]
    broken = [p for p in plans if p.broken_on is not None]
    plan = plan_info(lead) if not consolidated else (broken[0] if broken else (plans[0] if plans else None))
    if consolidated and broken and step == policy.on_broken_plan and kind in ("requested", "step"):
        kind = "plan-broken"  # the notice invokes the missed installment of the broken plan
    dues = {line.due for line in listed if line.remaining > 0}
    creditor = creditor_info(config)
    principal_and_interest = balance + (accrued.interest or ZERO)
    context = LetterContext(
        step=Keyword(step),
        channel=keyword(step_def.channel.value if step_def else None),
        kind=Keyword(kind),
        language=Keyword(language),
        tone=Keyword(client.relationship),
        header=header,
        date=letter_date,
        creditor=replace(
            creditor,
            signatory_title=role_in(creditor.signatory_title, language),
            phone=_phone_for(creditor.phone, language, abroad(client)),
        ),
        debtor=debtor_info(lead, language),
        cases=tuple(Keyword(s.id) for s in states),
        reference=reference,
        reference_text=", ".join(case_ids),
        consolidated=consolidated,
        invoices=tuple(listed),
        invoice_numbers=format_list(numbers, locale=LOCALES.get(language, language)),
        several=len(listed) > 1,
        vat_included=all(line.net is None or line.net < line.amount for line in listed),
        total=sum((line.amount for line in listed), ZERO),
        settled=sum((line.settled for line in listed), ZERO),
        balance=balance,
        reference_due=min(s.reference_due for s in states),
        days_overdue=max(s.days_overdue for s in states),
        due_dates_differ=len(dues) > 1,
        business=not consumer,
        rate=rate_terms(config, consumer, language, letter_date),
        penalties=claimed,
        accrued=accrued,
        deadline=deadline,
        deadline_days=deadline_days,
        reply_by=next_business_day(letter_date + timedelta(days=REPLY_DAYS), config.holidays),
        payment=PaymentInfo(
            holder=one_line(config.creditor.name),
            iban=config.creditor.iban,
            bic=config.creditor.bic,
            reference=payment_reference(case_ids, reference),  # the case id(s) printed as the reference
        ),
        contacts_done=contacts_done,
        last_reminder=reminders[-1] if reminders else None,
        next_step=keyword(plan_b(lead, step)),
        history=history,
        promise=promise_info(lead),
        plan=plan,
        dispute=event_line(lead.id, dispute) if dispute is not None else None,
        record=payment_record(others),
        prescription=min((s.deadlines.prescription for s in states if s.deadlines.prescription), default=None),
        prescription_from=min(
            (s.deadlines.prescription_from for s in states if s.deadlines.prescription_from), default=None
        ),
        escalation_date=min((s.deadlines.escalation for s in states if s.deadlines.escalation), default=None),
        notice_deadline=max((s.deadlines.formal_notice for s in states if s.deadlines.formal_notice), default=None),
        title=max((s.deadlines.title for s in states if s.deadlines.title), default=None),
        prescription_basis=Keyword(
            min(
                (s for s in states if s.deadlines.prescription),
                key=lambda s: s.deadlines.prescription or letter_date,
                default=lead,
            ).deadlines.prescription_basis
        ),
        small_claims=principal_and_interest <= SMALL_CLAIMS_LIMIT,
        small_claims_limit=SMALL_CLAIMS_LIMIT,
        status=Keyword(lead.status.value),
    )
    return with_payment_qr(context, config)


# --- the SEPA payment QR code (EPC069-12 "GiroCode") ---------------------------------------

# EPC069-12 version 002: amounts from 0.01 to 999,999,999.99 euros, a beneficiary name of at
# most 70 characters, remittance text of at most 140, a payload of at most 331 bytes (QR
# version 13 at error correction level M).
EPC_MIN_AMOUNT = Decimal("0.01")
EPC_MAX_AMOUNT = Decimal("999999999.99")
EPC_NAME_MAX = 70
EPC_PAYLOAD_MAX_BYTES = 331
_CENT = Decimal("0.01")


def epc_payload(name: str, iban: str, bic: str | None, amount: Decimal, reference: str) -> str | None:
    """The EPC069-12 (version 002) payload of a SEPA credit transfer in euros, or None when
    the standard cannot carry it (amount out of range, payload too long).

    One element a line: service tag BCD, version 002, character set 1 (UTF-8), SCT, the BIC
    (optional in version 002), the beneficiary's name, the IBAN (no spaces), the amount as
    `EUR1234.56`, an empty purpose, an empty structured reference (the case reference is not an
    ISO 11649 creditor reference), then the reference as remittance text. Nothing follows the
    last element."""
    amount = amount.quantize(_CENT, rounding=ROUND_HALF_UP)
    if not EPC_MIN_AMOUNT <= amount <= EPC_MAX_AMOUNT:
        return None
    compact = "".join(iban.split()).upper()
    lines = [
        "BCD",
        "002",
        "1",
        "SCT",
        "".join((bic or "").split()).upper(),
        one_line(name)[:EPC_NAME_MAX],
        compact,
        f"EUR{amount:.2f}",
        "",
        "",
        one_line(reference)[:REFERENCE_MAX],
    ]
    payload = "\n".join(lines)
    return payload if len(payload.encode("utf-8")) <= EPC_PAYLOAD_MAX_BYTES else None


def amount_asked(ctx: LetterContext) -> Decimal:
    """The sum the letter asks to pay now, which the QR code fills in: a plan's first
    installment not yet covered, a promise's amount, a consumer's plan arrears (and the other
    sums claimed beside them), else the total claimed (principal with the penalties claimed by
    the step) or the balance."""
    plan = ctx.plan
    if ctx.step == PLAN_AGREEMENT and plan is not None:
        pending = next((i for i in plan.installments if not i.covered), None)
        return pending.amount if pending is not None else ctx.balance
    if ctx.step == PROMISE_CONFIRMATION and ctx.promise is not None:
        return min(ctx.promise.amount, ctx.balance)
    if ctx.kind == "plan-broken" and plan is not None and plan.missed is not None and ctx.debtor.consumer:
        plan_balance = sum((i.remaining for i in ctx.invoices if i.case == plan.case), ZERO)
        return plan.arrears + (ctx.balance - plan_balance)
    return ctx.penalties.total if ctx.penalties is not None else ctx.balance


def with_payment_qr(ctx: LetterContext, config: Config) -> LetterContext:
    """The context with the payment block's QR code payload, when the ledger wants one
    (`payment_qr`, on by default), the creditor has an IBAN and the currency is the euro."""
    payment = ctx.payment
    if not config.payment_qr or config.currency != "EUR" or not payment.iban:
        return ctx
    amount = amount_asked(ctx)
    payload = epc_payload(payment.holder, payment.iban, payment.bic, amount, payment.reference)
    if payload is None:
        return ctx
    return replace(ctx, payment=replace(payment, amount=amount, qr=payload))


def next_dunning_step(policy: Policy, step: str) -> str | None:
    """The first step after `step` that is not before the due date."""
    index = policy.step_index(step)
    later = policy.steps[index + 1 :] if index is not None else policy.steps
    return next((s.id for s in later if s.offset >= 0), None)


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
