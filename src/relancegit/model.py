"""The typed model of a ledger: configuration, policies, clients, cases and events.

Layer: data definitions only. Built by the load seam (`read/load.py`) from safely loaded YAML; read by every
other layer. Nothing here reads files, knows about positions or looks at the clock.
Money is `Decimal`, dates are `datetime.date`, unknown keys are errors.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal, Protocol, Union, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    WithJsonSchema,
    model_validator,
)
from stdnum import bic as stdnum_bic
from stdnum import iban as stdnum_iban
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.fr import siren as stdnum_siren
from stdnum.fr import tva as stdnum_tva

from relancegit.enums import Channel as Channel
from relancegit.enums import Status as Status
from relancegit.limits import MAX_AMOUNT, MAX_DAYS, MAX_PERCENT, date_out_of_range
from relancegit.problems import BadDate

ZERO = Decimal("0")
CENT = Decimal("0.01")

ID_PATTERN = r"^[a-z0-9][a-z0-9._-]*$"
_ID_RE = re.compile(ID_PATTERN)
_MONEY_STR_RE = re.compile(r"^\s*-?\d+(\.\d+)?\s*$")
_ISO_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_FIXED_RATE_RE = re.compile(r"^\d+(\.\d+)?\s*%$")
_ECB_RATE_RE = re.compile(r"^ecb\s*\+\s*\d+(\.\d+)?$")
PERIOD_PATTERN = r"^\d{4}-H[12]$"


# --- scalar types -------------------------------------------------------------------------


def _money(value: Any) -> Decimal:
    return _within_limit(_to_decimal(value))


def _within_limit(value: Decimal) -> Decimal:
    if abs(value) >= MAX_AMOUNT:
        text = str(value) if len(str(value)) <= 40 else str(value)[:37] + "..."
        raise ValueError(f"amount {text} is too large: amounts must be below {MAX_AMOUNT:,}")
    return value


def _to_decimal(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise ValueError(f"expected an amount, got {str(value).lower()}")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"expected an amount, got {value}")
        return value
    if isinstance(value, float):  # not produced by our loader; kept for API callers
        return Decimal(repr(value))
    if isinstance(value, str) and _MONEY_STR_RE.match(value):
        return Decimal(value.strip())
    if isinstance(value, str) and (comma := _DECIMAL_COMMA_RE.match(value)):
        whole = "".join(comma[1].split()).replace(".", "")
        raise ValueError(f"decimal comma: write {whole}.{comma[2]}")
    raise ValueError(f"expected an amount such as 1500.00, got {_describe(value)}")


# 750,50 or 1 500,50 or 1.500,50: French amounts.
_DECIMAL_COMMA_RE = re.compile(r"^\s*(-?\d{1,3}(?:[ .\u00a0\u202f]?\d{3})*|-?\d+),(\d{1,2})\s*$")
# 16/10/2026, 16.10.2026 or 16-10-2026: French dates.
_FRENCH_DATE_RE = re.compile(r"^\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})\s*$")


def _two_decimals(value: Decimal) -> Decimal:
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2 and value != value.quantize(CENT):
        raise ValueError(f"amount {value} has more than 2 decimals")
    return value


def _positive(value: Decimal) -> Decimal:
    if value <= 0:
        raise ValueError(f"amount must be greater than 0, got {value}")
    return value


def _non_negative(value: Decimal) -> Decimal:
    if value < 0:
        raise ValueError(f"amount must not be negative, got {value}")
    return value


def _iso_date(value: Any) -> date:
    if isinstance(value, BadDate):
        raise ValueError(f"invalid date '{value}': {value.reason}")
    if isinstance(value, date):
        return _within_range(value)
    if isinstance(value, str) and _ISO_DATE_RE.match(value.strip()):
        try:
            day = date.fromisoformat(value.strip())
        except ValueError as exc:
            raise ValueError(f"invalid date '{value}': {exc}") from None
        return _within_range(day)
    if isinstance(value, str) and (french := _FRENCH_DATE_RE.match(value)):
        day_, month, year = int(french[1]), int(french[2]), french[3]
        raise ValueError(f"write dates as YYYY-MM-DD: {year}-{month:02d}-{day_:02d}")
    raise ValueError(f"expected a date YYYY-MM-DD, got {_describe(value)}")


def _within_range(day: date) -> date:
    reason = date_out_of_range(day)
    if reason is not None:
        raise ValueError(reason)
    return day


def _describe(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    text = str(value)
    return repr(text if len(text) <= 40 else text[:37] + "...")


# One schema for both spellings of an amount, so that an editor names the problem: `pattern`
# applies to strings only, the bounds and `multipleOf` to numbers only. `multipleOf: 0.01` is
# exact in the YAML language server (decimal remainder); Python's jsonschema divides floats and
# wrongly refuses e.g. 19.99, hence tests/schema_validator.py for check-jsonschema.
_MONEY_SCHEMA = {
    "type": ["number", "string"],
    "minimum": 0,
    "exclusiveMaximum": int(MAX_AMOUNT),
    "multipleOf": 0.01,
    "pattern": r"^\d{1,12}(\.\d{1,2})?$",
    "description": "Amount in the ledger currency, at least 0, at most 2 decimals",
}
_AMOUNT_SCHEMA = {
    "type": ["number", "string"],
    "exclusiveMinimum": 0,
    "exclusiveMaximum": int(MAX_AMOUNT),
    "multipleOf": 0.01,
    "pattern": r"^\d{1,12}(\.\d{1,2})?$",
    "description": "Amount greater than 0, at most 2 decimals",
}

Money = Annotated[
    Decimal,
    BeforeValidator(_money),
    AfterValidator(_two_decimals),
    AfterValidator(_non_negative),
    WithJsonSchema(_MONEY_SCHEMA),
]
Amount = Annotated[
    Decimal,
    BeforeValidator(_money),
    AfterValidator(_two_decimals),
    AfterValidator(_positive),
    WithJsonSchema(_AMOUNT_SCHEMA),
]
IsoDate = Annotated[
    date,
    BeforeValidator(_iso_date),
    WithJsonSchema({"type": "string", "format": "date", "pattern": r"^(19|20|21)\d\d-\d{2}-\d{2}$"}),
]
Identifier = Annotated[str, Field(pattern=ID_PATTERN)]


def _inside_ledger(value: str) -> str:
    """A path relative to ledger/ that stays inside it: no absolute path, no `..`, no `\\`."""
    parts = value.split("/")
    if value.startswith("/") or "\\" in value or ":" in parts[0] or any(p in ("", ".", "..") for p in parts):
        raise ValueError(f"'{value}' must be a path relative to ledger/, inside it (e.g. sent/2026-0042/…)")
    return value


SentCopy = Annotated[str, AfterValidator(_inside_ledger)]
Text = Annotated[str, Field(min_length=1)]
Days = Annotated[int, Field(ge=0, le=MAX_DAYS)]
Offset = Annotated[int, Field(ge=-MAX_DAYS, le=MAX_DAYS)]


def _stdnum(module: Any, label: str) -> Any:
    def check(value: str) -> str:
        try:
            module.validate(value)
        except StdnumError as exc:
            raise ValueError(f"invalid {label} '{value}': {str(exc).rstrip('.').lower()}") from None
        return value

    return AfterValidator(check)


Siren = Annotated[str, _stdnum(stdnum_siren, "SIREN")]
FrVat = Annotated[str, _stdnum(stdnum_tva, "French VAT number")]
Iban = Annotated[str, _stdnum(stdnum_iban, "IBAN")]
Bic = Annotated[str, _stdnum(stdnum_bic, "BIC")]


def _fixed_rate_or_ecb(value: str) -> str:
    text = value.strip().lower()
    if _ECB_RATE_RE.match(text) or _FIXED_RATE_RE.match(text):
        figure = Decimal(text.removeprefix("ecb").strip(" +%"))
        if figure > MAX_PERCENT:
            raise ValueError(f"penalty rate '{value}' is too large: at most {MAX_PERCENT}% or ecb+{MAX_PERCENT}")
        return text.replace(" ", "")
    raise ValueError(f"invalid penalty rate '{value}': expected 'ecb+10' or a fixed rate like '12%'")


PenaltyRate = Annotated[str, AfterValidator(_fixed_rate_or_ecb)]


class Strict(BaseModel):
    """Base of every file model: immutable, unknown keys rejected, numbers accepted as text.
    Validators are built on first use (`defer_build`): a command served by the cache, which
    builds no model, does not pay for building them (about 0.15 s of every start)."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, coerce_numbers_to_str=True, populate_by_name=True, defer_build=True
    )


# --- enums ---------------------------------------------------------------------------------


Language = Literal["fr", "en"]
Relationship = Literal["loyal", "standard", "difficult"]
DebtorType = Literal["business", "consumer"]
# How letters greet a person: "Madame," / "Dear Ms Bonnet," (Mme) or "Monsieur," / "Dear Mr …" (M.).
Civility = Literal["Mme", "M."]


# --- ledger/relancegit.yaml ---------------------------------------------------------------


class Creditor(Strict):
    name: Text
    address: Annotated[list[Text], Field(min_length=1)]
    siren: Siren | None = None
    vat: FrVat | None = None
    email: str | None = None
    phone: str | None = None
    iban: Iban | None = None
    bic: Bic | None = None
    signatory: str | None = None


class Step(Strict):
    id: Identifier
    offset: Offset
    channel: Channel
    deadline_days: Days | None = None
    auto: bool = False


DEFAULT_STEPS: tuple[Step, ...] = (
    Step(id="pre-due", offset=-5, channel=Channel.EMAIL),
    Step(id="reminder-1", offset=1, channel=Channel.EMAIL),
    Step(id="reminder-2", offset=8, channel=Channel.EMAIL),
    Step(id="call", offset=15, channel=Channel.PHONE),
    Step(id="letter", offset=30, channel=Channel.LETTER),
    Step(id="formal-notice", offset=45, channel=Channel.REGISTERED_LETTER, deadline_days=8),
    Step(id="escalate", offset=60, channel=Channel.HANDOVER),
)


class Policy(Strict):
    steps: Annotated[tuple[Step, ...], Field(min_length=1)] = DEFAULT_STEPS
    min_gap_days: Days = 5
    grace_days: Days = 3
    dispute_review_days: Days = 10
    escalation_days: Days = 90
    on_broken_plan: Identifier = "formal-notice"

    def step(self, step_id: str) -> Step | None:
        return next((s for s in self.steps if s.id == step_id), None)

    def step_index(self, step_id: str) -> int | None:
        return next((i for i, s in enumerate(self.steps) if s.id == step_id), None)


DEFAULT_POLICY = Policy()


class Penalties(Strict):
    rate: PenaltyRate = "ecb+10"
    indemnity: Money = Decimal("40")
    claim_from_step: Identifier = "formal-notice"
    # A business debtor's payment plan: the penalties and indemnity accrued when it is agreed
    # are waived if every installment is paid on time (True), or remain due (False).
    waive_if_plan_kept: bool = False

    @property
    def fixed_rate(self) -> Decimal | None:
        """The fixed annual rate in percent, or None for the ECB-based default."""
        if self.rate.endswith("%"):
            return Decimal(self.rate[:-1])
        return None

    @property
    def ecb_margin(self) -> Decimal:
        """Points added to the ECB rate (L441-10: 10 by default)."""
        return Decimal(self.rate.split("+", 1)[1]) if self.rate.startswith("ecb") else ZERO


def _percent(value: Decimal) -> Decimal:
    if value > MAX_PERCENT:
        raise ValueError(f"rate {value} is too large: at most {MAX_PERCENT} (percent)")
    return value


Percent = Annotated[
    Decimal,
    BeforeValidator(_to_decimal),
    AfterValidator(_non_negative),
    AfterValidator(_percent),
    WithJsonSchema({"anyOf": [{"type": "number", "minimum": 0}, {"type": "string"}]}),
]


class RateRow(Strict):
    period: Annotated[str, Field(pattern=PERIOD_PATTERN)]
    ecb: Percent | None = None
    legal_other: Percent | None = None
    legal_private: Percent | None = None


class Smtp(Strict):
    host: Text
    port: Annotated[int, Field(ge=1, le=65535)] = 587
    username: str | None = None
    sender: Annotated[str | None, Field(alias="from")] = None
    starttls: bool = True
    ssl: bool = False
    # Seconds to wait: for the connection, the greeting and each command's answer (`timeout`);
    # for the answer to a message's content (`data_timeout`, servers may scan it first).
    timeout: Annotated[float, Field(gt=0, le=600)] = 10
    data_timeout: Annotated[float, Field(gt=0, le=600)] = 30


# The fields an import reads from a CSV export (`relancegit import`, docs/import.md).
ImportField = Literal["number", "date", "due", "amount", "net", "client", "siren", "vat", "email", "address", "type"]


class ImportCsv(Strict):
    """How `relancegit import` reads a CSV export: field -> column header, and its conventions
    (detected when absent)."""

    columns: dict[ImportField, Text] = Field(default_factory=dict)
    delimiter: Literal[";", ",", "\t", "|"] | None = None
    decimal: Literal[",", "."] | None = None
    date_format: Text | None = None  # a strptime format, e.g. "%d/%m/%Y"
    encoding: Text | None = None


class ImportSettings(Strict):
    csv: ImportCsv = ImportCsv()
    # Due date of an invoice whose source has none (the FEC): its date + these days.
    default_terms_days: Days = 30
    group_by_client: bool = False


# The fields `relancegit match` reads from a bank's CSV statement (docs/match.md).
MatchField = Literal["date", "amount", "credit", "debit", "counterparty", "iban", "remittance", "ref"]


class MatchCsv(Strict):
    """How `relancegit match` reads a bank's CSV statement: field -> column header, and its
    conventions (detected when absent, as for `import`)."""

    columns: dict[MatchField, Text] = Field(default_factory=dict)
    delimiter: Literal[";", ",", "\t", "|"] | None = None
    decimal: Literal[",", "."] | None = None
    date_format: Text | None = None  # a strptime format, e.g. "%d/%m/%Y"
    encoding: Text | None = None


class MatchSettings(Strict):
    csv: MatchCsv = MatchCsv()


class Config(Strict):
    creditor: Creditor
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] = "EUR"
    language: Language = "fr"
    holidays: Annotated[str, Field(pattern=r"^[A-Z]{2}(-[A-Z0-9]{1,3})?$")] = "FR"
    penalties: Penalties = Penalties()
    rates: tuple[RateRow, ...] = ()
    policies: dict[Identifier, Policy] = Field(default_factory=lambda: {"default": DEFAULT_POLICY})
    smtp: Smtp | None = None
    # A SEPA payment QR code (EPC069-12) in the payment block of HTML, PDF and e-mail letters,
    # when the creditor has an IBAN and the currency is EUR.
    payment_qr: bool = True
    # Demo data only: the day the dates were written as of (see README, "The demo ledger").
    demo_anchor: IsoDate | None = None
    imports: ImportSettings = Field(default=ImportSettings(), alias="import")
    match: MatchSettings = MatchSettings()

    @model_validator(mode="after")
    def _builtin_default_policy(self) -> Config:
        if "default" not in self.policies:
            self.policies["default"] = DEFAULT_POLICY
        return self


# --- ledger/clients/<id>.yaml -------------------------------------------------------------


class Contact(Strict):
    name: Text
    civility: Civility | None = None
    role: str | None = None
    email: str | None = None
    phone: str | None = None


class Client(Strict):
    id: Identifier
    name: Text
    civility: Civility | None = None  # a consumer's, for the salutation
    type: DebtorType = "business"
    address: tuple[Text, ...] | None = None
    siren: Siren | None = None
    vat: str | None = None
    language: Language | None = None
    relationship: Relationship = "standard"
    credit_limit: Amount | None = None
    policy: Identifier | None = None
    contacts: tuple[Contact, ...] = ()
    notes: str | None = None


# --- ledger/cases/**/<id>.yaml ------------------------------------------------------------


class Invoice(Strict):
    number: Text
    date: IsoDate
    due: IsoDate
    amount: Amount
    net: Amount | None = None
    file: str | None = None


class Phrasing(Protocol):
    """The words of one language as an event's `timeline_fields` sees them (`views.Lexicon`)."""

    def say(self, key: str, **values: Any) -> str: ...
    def step(self, step_id: str) -> str: ...
    def channel(self, channel: str | None) -> str: ...
    def word(self, group: str, key: str) -> str: ...
    def day(self, value: date) -> str: ...


class EventBase(Strict):
    """What every event has. A subclass is one event type, listed in `EVENT_MODELS`: its
    `type` literal names it; `interrupts_prescription` is what the engine reads of any event
    (`engine/facts.py` sorts the others by type); its words are `event.<type>` (timeline) and, for a
    letter, `letter.event.<type>` in `relancegit.words` (fr and en)."""

    # Set from the `type` literal of each subclass.
    type_name: ClassVar[str] = ""

    date: IsoDate
    note: str | None = None
    by: str | None = None

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        field = cls.model_fields.get("type")
        if field is not None:
            cls.type_name = get_args(field.annotation)[0]

    def interrupts_prescription(self) -> bool:
        """Whether the event restarts the limitation period (Code civil 2240: the debtor
        acknowledges the debt: a payment, a signed plan, an acknowledgement)."""
        return False

    def timeline_fields(self, words: Phrasing) -> dict[str, Any]:
        """The values of the `event.<type>` phrase beyond the event's own fields (amounts and
        dates are already written the usual way)."""
        return {}


class Reminder(EventBase):
    type: Literal["reminder"]
    step: Identifier
    channel: Channel | None = None
    # The day the debtor received a registered letter (its acknowledgement of receipt): a
    # formal notice's deadline runs from it.
    received: IsoDate | None = None
    # The exact document that was sent (e-mail, PDF), kept under ledger/sent/: its path
    # relative to ledger/, never outside it.
    document: SentCopy | None = None

    def timeline_fields(self, words: Phrasing) -> dict[str, Any]:
        via = words.say("timeline.via", channel=words.channel(self.channel)) if self.channel else ""
        received = words.say("timeline.received", day=words.day(self.received)) if self.received else ""
        return {"step": words.step(self.step), "via": via, "received": received}


class Call(EventBase):
    type: Literal["call"]
    outcome: Literal["reached", "no-answer", "voicemail"]
    step: Identifier | None = None

    def timeline_fields(self, words: Phrasing) -> dict[str, Any]:
        step = words.say("timeline.call_step", step=words.step(self.step)) if self.step and self.step != "call" else ""
        return {"outcome": words.word("outcome", self.outcome), "step": step}


class Promise(EventBase):
    type: Literal["promise"]
    amount: Amount
    due: IsoDate


class Payment(EventBase):
    type: Literal["payment"]
    amount: Amount
    invoice: str | None = None
    ref: str | None = None

    def interrupts_prescription(self) -> bool:
        return True

    def timeline_fields(self, words: Phrasing) -> dict[str, Any]:
        target = words.say("timeline.payment_target", invoice=self.invoice) if self.invoice else ""
        return {"target": target, "ref": words.say("timeline.ref", ref=self.ref) if self.ref else ""}


class CreditNote(EventBase):
    type: Literal["credit-note"]
    amount: Amount
    invoice: str | None = None
    number: str | None = None

    def timeline_fields(self, words: Phrasing) -> dict[str, Any]:
        return {"number": f" {self.number}" if self.number else ""}


class Installment(Strict):
    due: IsoDate
    amount: Amount


class Plan(EventBase):
    type: Literal["plan"]
    installments: Annotated[tuple[Installment, ...], Field(min_length=1)]
    signed: bool = False

    def interrupts_prescription(self) -> bool:
        return self.signed

    def timeline_fields(self, words: Phrasing) -> dict[str, Any]:
        count = len(self.installments)
        signed = words.say("timeline.plan_signed") if self.signed else ""
        return {"count": count, "plural": "s" if count > 1 else "", "signed": signed}


class Dispute(EventBase):
    type: Literal["dispute"]
    reason: Text
    invoice: str | None = None


class DisputeResolved(EventBase):
    type: Literal["dispute-resolved"]


class Pause(EventBase):
    type: Literal["pause"]
    until: IsoDate


class Escalation(EventBase):
    type: Literal["escalation"]
    to: Literal["agency", "lawyer", "court"]
    ref: str | None = None

    def timeline_fields(self, words: Phrasing) -> dict[str, Any]:
        return {
            "to": words.word("handover", self.to),
            "ref": words.say("timeline.ref", ref=self.ref) if self.ref else "",
        }


class WriteOff(EventBase):
    type: Literal["write-off"]
    reason: Text


class Acknowledgement(EventBase):
    type: Literal["acknowledgement"]

    def interrupts_prescription(self) -> bool:
        return True


class Title(EventBase):
    """A court decision or other enforceable title for the case's debt (an order to pay made
    enforceable, a judgment): its execution is time-barred 10 years later (CPCE L111-4)."""

    type: Literal["title"]
    kind: Literal["injonction", "judgment", "other"] = "judgment"
    court: str | None = None
    ref: str | None = None

    def timeline_fields(self, words: Phrasing) -> dict[str, Any]:
        return {
            "kind": words.say(f"timeline.title_kind.{self.kind}"),
            "court": f", {self.court}" if self.court else "",
            "ref": words.say("timeline.ref", ref=self.ref) if self.ref else "",
        }


class Note(EventBase):
    type: Literal["note"]


class Void(EventBase):
    """Cancels event `event` (1-based position in the same case's `events`, stable because
    events are only appended): the engine then behaves as if it never happened. Corrects a
    mistyped amount, a bounced cheque or a returned transfer without rewriting history."""

    type: Literal["void"]
    event: Annotated[int, Field(ge=1)]
    reason: Text


# The event types, in the order of docs/format.md: the one list that the discriminated
# union of `Case.events`, `EVENT_TYPES` (hence `record`, the schemas and the docs) come from.
EVENT_MODELS: tuple[type[EventBase], ...] = (
    Reminder,
    Call,
    Promise,
    Payment,
    CreditNote,
    Plan,
    Dispute,
    DisputeResolved,
    Pause,
    Escalation,
    WriteOff,
    Acknowledgement,
    Title,
    Note,
    Void,
)
EVENT_TYPES: dict[str, type[EventBase]] = {model.type_name: model for model in EVENT_MODELS}

if TYPE_CHECKING:
    Event = EventBase
else:
    Event = Annotated[Union[EVENT_MODELS], Field(discriminator="type")]  # noqa: UP007 (a tuple of types)


class Case(Strict):
    id: Identifier
    client: Identifier
    policy: Identifier | None = None
    # The last dunning step done before the case entered the ledger (no letter for it): the
    # steps up to it count as done. Without it, docs/engine.md's rule for old debts applies.
    start_step: Identifier | None = None
    invoices: Annotated[tuple[Invoice, ...], Field(min_length=1)]
    events: tuple[Event, ...] = ()

    @property
    def total(self) -> Decimal:
        return sum((i.amount for i in self.invoices), ZERO)


# --- the whole ledger ----------------------------------------------------------------------


@dataclass(frozen=True)
class Ledger:
    """The valid part of a ledger: what the engine computes on."""

    root: Path
    config: Config
    clients: Mapping[str, Client]
    cases: Mapping[str, Case]
    case_files: Mapping[str, Path] = field(default_factory=dict)
    client_files: Mapping[str, Path] = field(default_factory=dict)

    def policy_for(self, case: Case) -> Policy:
        """The case's policy, else its client's, else `default` (references are checked)."""
        client = self.clients.get(case.client)
        policy_id = case.policy or (client.policy if client else None) or "default"
        return self.config.policies.get(policy_id, DEFAULT_POLICY)

    def client_of(self, case: Case) -> Client:
        return self.clients[case.client]

    def language_for(self, client: Client) -> str:
        return client.language or self.config.language
