"""What a letter is written from: the frozen context a template sees.

Layer: render (data shapes). One `LetterContext` holds every block a letter may print:
creditor and debtor, invoices with what remains, penalties (when the step claims them), the
deadline, how to pay, the history, the agreements. `compose.py` fills it from the engine's
results; templates read it; nothing here computes, formats or reads anything.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

# Documents that are not steps of a policy but have a template of their own.
PROMISE_CONFIRMATION = "promise-confirmation"
PLAN_AGREEMENT = "plan-agreement"
HANDOVER = "handover"
PROMISE_BROKEN = "promise-broken"  # the call script, when a promise was missed
EXTRA_DOCUMENTS = (PROMISE_CONFIRMATION, PLAN_AGREEMENT, HANDOVER, PROMISE_BROKEN)
ESCALATE = "escalate"
HANDOVER_STEPS = frozenset({ESCALATE, HANDOVER})

# CPCE L125-1, R125-1: the simplified small-claims procedure covers contractual debts up to
# 5,000 €, principal and interest included.
SMALL_CLAIMS_LIMIT = Decimal("5000")
# A bank transfer's remittance information holds 140 characters (SEPA).
REFERENCE_MAX = 140
# Reminders ask for payment "sous huitaine": within eight days, on a business day.
REPLY_DAYS = 8

Day = date  # in annotations: several contexts have a field named `date`

_SPACES = re.compile(r"\s+")


class Keyword(str):
    """A code the templates compare against (a step id, a channel, a status): never escaped
    for HTML, since it is not text from the ledger's free fields but a validated identifier."""

    __slots__ = ()


def keyword(value: str | None) -> Keyword | None:
    return None if value is None else Keyword(value)


def one_line(text: str) -> str:
    """Free text on one line: it lands in table cells and headers."""
    return _SPACES.sub(" ", text).strip()


# --- the blocks of a letter --------------------------------------------------------------


@dataclass(frozen=True)
class ContactInfo:
    name: str
    civility: Keyword | None  # "Mme", "M."
    role: str | None  # in the letter's language when a common French title is translated
    email: str | None
    phone: str | None


@dataclass(frozen=True)
class CreditorInfo:
    name: str
    address: tuple[str, ...]
    place: str  # the city the letter is written from ("Villeurbanne, le …")
    siren: str | None
    vat: str | None
    email: str | None
    phone: str | None
    iban: str | None
    bic: str | None
    signatory: str  # "Claire Martin"
    signatory_title: str | None  # "gérante"


@dataclass(frozen=True)
class DebtorInfo:
    id: Keyword
    name: str
    address: tuple[str, ...]  # the postal block, the name first
    window: tuple[str, ...]  # what the envelope window shows: name, attention line, address
    greeting: str  # "Madame", "Madame, Monsieur", "Dear Ms Bonnet", "Dear Sir or Madam"
    named: bool  # the greeting names a person (English closes "Yours sincerely", else "faithfully")
    civility: Keyword | None
    consumer: bool
    siren: str | None
    vat: str | None
    contact: ContactInfo | None  # the addressee: the first contact
    contacts: tuple[ContactInfo, ...]
    notes: str | None


@dataclass(frozen=True)
class InvoiceLine:
    case: Keyword
    number: str
    date: Day
    due: Day
    amount: Decimal
    settled: Decimal  # paid, credited or written off
    remaining: Decimal
    days_late: int
    interest: Decimal | None  # None when a rate is unknown
    indemnity: Decimal
    file: str | None
    net: Decimal | None = None  # amount before VAT, when the ledger gives it

    @property
    def overdue(self) -> bool:
        return self.days_late > 0 and self.remaining > 0


@dataclass(frozen=True)
class RateTerms:
    """How late-payment interest is computed, for the sentence that states it."""

    kind: Keyword  # "ecb" (L441-10: ECB rate + margin), "fixed", or "legal" (consumers)
    margin: str  # "10", formatted for the language
    fixed: str | None  # "12" or "12,5" when the ledger sets a fixed rate
    indemnity_each: Decimal  # D441-5: 40 € per late invoice
    current: str | None = None  # the annual rate of the letter's half-year ("12,15"), None if unknown
    period: Keyword | None = None  # that half-year: "2026-H2"
    waive_if_plan_kept: bool = False  # business plans: accrued penalties waived if the plan is kept


@dataclass(frozen=True)
class PenaltyFigures:
    """Penalties as of the letter's date (reported, never added to the balance by the engine)."""

    as_of: Day
    interest: Decimal | None  # None: a half-year rate is unknown; the letter says "à parfaire"
    interest_from: Day | None  # the first day bearing interest
    indemnity: Decimal
    late_invoices: int
    missing_rates: tuple[str, ...]
    total: Decimal  # principal + known interest + indemnity


@dataclass(frozen=True)
class PaymentInfo:
    holder: str
    iban: str | None
    bic: str | None
    reference: str  # what to quote with the transfer
    amount: Decimal | None = None  # the sum the QR code fills in (with `qr`)
    qr: str | None = None  # the EPC069-12 payload of the SEPA payment QR code, when there is one


@dataclass(frozen=True)
class InstallmentLine:
    number: int
    due: Day
    amount: Decimal
    covered: bool  # the payments since the plan reach the installments up to this one


@dataclass(frozen=True)
class EventLine:
    """One event of the history, with the fields any type may carry."""

    case: Keyword
    date: Day
    type: Keyword
    step: Keyword | None = None
    channel: Keyword | None = None
    outcome: Keyword | None = None
    amount: Decimal | None = None
    due: Day | None = None
    until: Day | None = None
    to: Keyword | None = None
    ref: str | None = None
    reason: str | None = None
    invoice: str | None = None
    number: str | None = None
    note: str | None = None
    by: str | None = None
    installments: tuple[InstallmentLine, ...] = ()
    signed: bool = False
    received: Day | None = None  # a registered letter's acknowledgement of receipt
    document: str | None = None  # the copy kept of what was sent, relative to ledger/
    kind: Keyword | None = None  # a title's: injonction, judgment, other
    court: str | None = None


@dataclass(frozen=True)
class PromiseInfo:
    date: Day
    amount: Decimal
    due: Day
    outcome: Keyword  # kept, pending, broken
    paid: Decimal
    broken_on: Day | None
    grace_days: int


@dataclass(frozen=True)
class PlanInfo:
    date: Day
    signed: bool
    installments: tuple[InstallmentLine, ...]
    total: Decimal
    paid: Decimal
    broken_on: Day | None
    missed: InstallmentLine | None
    grace_days: int
    on_broken: Keyword  # the step the policy jumps to when the plan is broken
    case: Keyword | None = None  # the case the plan is for
    arrears: Decimal = Decimal(0)  # installments due by the letter's date, less what was paid
    consumer_notice_days: int = 15  # a consumer's broken plan: days given to catch up before the balance is due


@dataclass(frozen=True)
class OtherCase:
    id: Keyword
    status: Keyword
    balance: Decimal
    days_overdue: int
    plan_broken: bool = False  # a payment plan of that case was not kept


@dataclass(frozen=True)
class PaymentRecord:
    """How the debtor paid before: for the call script ("the client's payment history")."""

    invoices_paid: int
    paid_late: int
    average_days_late: int | None
    open_cases: tuple[OtherCase, ...]  # the client's other open cases


@dataclass(frozen=True)
class LetterContext:
    step: Keyword
    channel: Keyword | None
    kind: Keyword  # the next action's kind ("step", "plan-broken", …) or "requested"
    language: Keyword
    tone: Keyword  # the client's relationship: loyal, standard, difficult
    header: bool  # postal header in the Markdown (False for e-mail bodies)
    date: Day  # the letter's date
    creditor: CreditorInfo
    debtor: DebtorInfo
    cases: tuple[Keyword, ...]
    reference: Keyword  # the case id, or the client id for a consolidated letter (file names)
    reference_text: str  # the reference printed: the case id, or the case ids of a consolidated letter
    consolidated: bool
    invoices: tuple[InvoiceLine, ...]
    invoice_numbers: str  # "F2026-0220, F2026-0232 et F2026-0244"
    several: bool  # more than one invoice listed
    vat_included: bool  # every amount includes VAT (no reverse charge: net < amount or unknown)
    total: Decimal  # amounts of the listed invoices
    settled: Decimal  # what was paid, credited or written off on them
    balance: Decimal  # what remains on them: the principal claimed
    reference_due: Day  # the oldest due date of the listed invoices
    days_overdue: int
    due_dates_differ: bool  # the listed invoices fell due on different days
    business: bool
    rate: RateTerms
    penalties: PenaltyFigures | None  # from `claim_from_step` on (None before, never fees for consumers)
    accrued: PenaltyFigures  # always computed: for the handover dossier
    deadline: Day | None  # the date to pay by (formal notice: letter date + deadline_days)
    deadline_days: int | None
    reply_by: Day  # the date reminders ask payment by: letter date + 8 days, on a business day
    payment: PaymentInfo
    contacts_done: tuple[EventLine, ...]  # reminders and calls about the unpaid debt (no pre-due notice)
    last_reminder: EventLine | None
    next_step: Keyword | None  # what follows in the policy if this letter brings nothing (plan B)
    history: tuple[EventLine, ...]  # every event, oldest first
    promise: PromiseInfo | None
    plan: PlanInfo | None  # the lead case's plan, or in a consolidated letter the broken one
    dispute: EventLine | None
    record: PaymentRecord
    prescription: Day | None
    prescription_from: Day | None  # the due date, or the latest payment, signed plan or acknowledgement
    escalation_date: Day | None
    notice_deadline: Day | None  # the deadline of a formal notice already sent
    title: Day | None  # the date of an enforceable title recorded (prescription: 10 years from it)
    prescription_basis: Keyword  # due, invoice, interruption or title (what prescription_from is)
    small_claims: bool  # principal + interest ≤ 5,000 € (CPCE L125-1)
    small_claims_limit: Decimal
    status: Keyword

    def as_template_vars(self) -> dict[str, object]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}
