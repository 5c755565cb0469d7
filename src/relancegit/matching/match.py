"""Match bank credits to open invoices, best first, and say why.

Layer: pure computation on the engine's case states (`engine.state.compute_all`) and the
statement's entries; nothing is read or written here. Each entry gets one `Proposal`: a
confidence class, a reason, and the payments it would record (one per case, with the
invoice when it is known), allocated oldest due first (docs/engine.md, allocation).

Classes, best first:
- `reference`: an invoice number or a case id (the payment reference printed on letters) in
  the remittance information; the amount goes to those invoices, oldest due first.
- `amount+name`: the exact balance of one open invoice, of a case, of all a client's open
  cases, a plan's next instalment or a pending promise, from a debtor whose name is close
  to the client's (accents, case and legal forms such as SAS or SARL ignored).
- `amount`: one such amount, but the name does not confirm it.
- `ambiguous`: several invoices or clients fit; a human chooses.
- `none`: nothing fits.
Only `reference` and `amount+name` are recorded by `--apply`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from rapidfuzz import fuzz, process

from relancegit.engine.allocation import allocate
from relancegit.engine.facts import gather
from relancegit.engine.status import PromiseOutcome, plan_state, promise_state
from relancegit.matching.statement import Entry
from relancegit.model import Case, Ledger, Plan, Promise, Void
from relancegit.model import Payment as PaymentEvent

REFERENCE = "reference"
AMOUNT_NAME = "amount+name"
AMOUNT = "amount"
AMBIGUOUS = "ambiguous"
NONE = "none"
CONFIDENT = frozenset({REFERENCE, AMOUNT_NAME})

NAME_THRESHOLD = 85  # rapidfuzz token_sort_ratio, 0-100, on the normalised names
_ZERO = Decimal(0)
# Legal forms and words that say nothing about who pays (French and a few European ones).
_NOISE = frozenset(
    [
        "sa",
        "sas",
        "sasu",
        "sarl",
        "eurl",
        "sci",
        "snc",
        "scop",
        "selarl",
        "selas",
        "ei",
        "eirl",
        "gie",
        "ste",
        "societe",
        "ets",
        "etablissements",
        "cie",
        "et",
        "the",
        "ltd",
        "limited",
        "gmbh",
        "bv",
        "nv",
        "srl",
        "spa",
        "inc",
        "llc",
        "plc",
        "ag",
    ]
)
_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]*[A-Za-z0-9]|[A-Za-z0-9]")


def normalized_name(name: str) -> str:
    """`Société Acme Industrie S.A.S.` -> `acme industrie`."""
    text = unicodedata.normalize("NFKD", name.lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = re.sub(r"\b([a-z])\.(?=[a-z]\.)", r"\1", text).replace(".", "")  # S.A.S. -> sas
    words = re.sub(r"[^a-z0-9]+", " ", text).split()
    return " ".join(w for w in words if w not in _NOISE)


def compact(token: str) -> str:
    """A reference as compared: upper case, separators dropped (`f2026-0042` = `F20260042`)."""
    return re.sub(r"[^A-Z0-9]", "", token.upper())


@dataclass(frozen=True)
class Payment:
    """A payment the proposal would record: in `case`, on `invoice` when known."""

    case: str
    invoice: str | None
    amount: Decimal


@dataclass(frozen=True)
class Proposal:
    entry: Entry
    confidence: str
    reason: str
    payments: tuple[Payment, ...] = ()
    client: str | None = None
    recorded_in: str | None = None  # the case holding this entry's payment already (idempotence)
    void: tuple[str, int] | None = None  # a reversal: (case, 1-based event) of the payment it voids

    @property
    def confident(self) -> bool:
        return self.confidence in CONFIDENT and self.recorded_in is None


@dataclass
class _Open:
    """An open invoice as the matcher tracks it during one run."""

    case: str
    client: str
    number: str
    due_order: tuple[object, ...]
    balance: Decimal


@dataclass
class Index:
    """The open invoices of a ledger, looked up by reference, by amount and by client."""

    invoices: dict[str, _Open] = field(default_factory=dict)  # invoice number -> open invoice
    by_case: dict[str, list[_Open]] = field(default_factory=dict)  # oldest due first
    refs: dict[str, tuple[str, str]] = field(default_factory=dict)  # compact ref -> ("invoice"|"case", id)
    amounts: dict[Decimal, list[tuple[str, tuple[Payment, ...], str]]] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)  # client id -> normalised name
    display: dict[str, str] = field(default_factory=dict)  # client id -> name as written
    recorded: dict[str, str] = field(default_factory=dict)  # payment ref -> case id
    payment_events: dict[str, tuple[str, int, bool]] = field(default_factory=dict)  # ref -> (case, event, voided)
    choices: list[tuple[str, str]] = field(default_factory=list)  # (client id, normalised name)
    choice_names: list[str] = field(default_factory=list)  # the names of `choices`, for rapidfuzz

    def add_amount(self, amount: Decimal, client: str, payments: tuple[Payment, ...], what: str) -> None:
        self.amounts.setdefault(amount, []).append((client, payments, what))


def index_ledger(ledger: Ledger, today: date) -> Index:
    """Index every case (references and payments recorded) and the open ones' amounts.

    Only what matching needs is computed, with the engine's own functions: the allocation
    (balances), and the latest plan and promise; not the schedule, deadlines or penalties."""
    index = Index()
    by_client: dict[str, list[tuple[str, Decimal]]] = {}
    for case in ledger.cases.values():
        index.refs[compact(case.id)] = ("case", case.id)
        for invoice in case.invoices:  # closed ones too: "paid already" is worth saying
            index.refs[compact(invoice.number)] = ("invoice", invoice.number)
        voided = {e.event for e in case.events if isinstance(e, Void)}
        for position, event in enumerate(case.events, start=1):
            if isinstance(event, PaymentEvent) and event.ref:
                index.recorded.setdefault(event.ref, case.id)
                index.payment_events[event.ref] = (case.id, position, position in voided)
        client = ledger.client_of(case)
        if client.id not in index.names:
            index.names[client.id] = normalized_name(client.name)
            index.display[client.id] = client.name
        allocation = allocate(case, today)
        if allocation.balance <= 0:
            continue  # paid or written off
        opened = []
        for order, item in enumerate(allocation.invoices):
            if item.balance > 0:
                found = _Open(case.id, client.id, item.invoice.number, (item.invoice.due, order), item.balance)
                index.invoices[found.number] = found
                opened.append(found)
                index.add_amount(item.balance, client.id, (Payment(case.id, found.number, item.balance),), "invoice")
        opened.sort(key=lambda o: o.due_order)
        index.by_case[case.id] = opened
        balance = allocation.balance
        if len(opened) > 1:
            index.add_amount(balance, client.id, (Payment(case.id, None, balance),), "case")
        _plan_and_promise(index, ledger, case, client.id, today)
        by_client.setdefault(client.id, []).append((case.id, balance))
    for client_id, cases in by_client.items():
        if len(cases) > 1:  # one transfer for all a client's open cases
            total = sum((b for _, b in cases), _ZERO)
            index.add_amount(total, client_id, tuple(Payment(c, None, b) for c, b in cases), "all open cases")
    index.choices = list(index.names.items())
    index.choice_names = [name for _, name in index.choices]
    return index


def _plan_and_promise(index: Index, ledger: Ledger, case: Case, client: str, today: date) -> None:
    """A plan's next instalment and a pending promise are amounts a client pays too."""
    if not any(isinstance(e, (Plan, Promise)) for e in case.events):
        return
    policy = ledger.policy_for(case)
    facts = gather(case, policy, today)
    if facts.latest_plan is not None:
        plan = plan_state(facts.latest_plan, facts.payments, policy.grace_days, today)
        if plan.active and plan.next_installment is not None:
            due = plan.next_installment.amount
            index.add_amount(due, client, (Payment(case.id, None, due),), "plan instalment")
    if facts.promises:
        promise = promise_state(facts.promises[-1], facts.payments, policy.grace_days, today)
        if promise.outcome == PromiseOutcome.PENDING:
            amount = promise.promise.amount
            index.add_amount(amount, client, (Payment(case.id, None, amount),), "promise")


def propose(entries: Iterable[Entry], index: Index, currency: str) -> list[Proposal]:
    """One proposal per entry, in the statement's order. A confident proposal takes its
    amounts off the open balances, so a later entry does not pay the same invoice twice."""
    proposals: list[Proposal] = []
    seen: set[str] = set()
    for entry in entries:
        if entry.currency and entry.currency != currency:
            proposal = Proposal(entry, NONE, f"in {entry.currency}, not the ledger's {currency}")
        else:
            proposal = _propose(entry, index, seen)
        seen.add(entry.ref)
        if proposal.confident:
            for payment in proposal.payments:
                _take(index, payment)
        proposals.append(proposal)
    return proposals


def _propose(entry: Entry, index: Index, seen: set[str]) -> Proposal:
    if entry.reversal:
        return _reversal(entry, index)
    if entry.ref in index.recorded:
        case = index.recorded[entry.ref]
        return Proposal(entry, NONE, f"already recorded: payment ref {entry.ref} in case {case}", recorded_in=case)
    if entry.ref in seen:
        return Proposal(entry, NONE, f"bank reference {entry.ref} appears twice in the statement")
    return _by_reference(entry, index) or _by_amount(entry, index)


def _reversal(entry: Entry, index: Index) -> Proposal:
    why = f" ({entry.return_reason})" if entry.return_reason else ""
    for ref in (entry.original_ref, entry.end_to_end):
        if ref and ref in index.payment_events:
            case, position, voided = index.payment_events[ref]
            if voided:
                return Proposal(
                    entry, NONE, f"reversal{why}: payment {ref} in case {case} is voided already", recorded_in=case
                )
            reason = f"reversal{why} of payment {ref}: void event {position} of case {case}"
            return Proposal(entry, REFERENCE, reason, void=(case, position))
    return Proposal(entry, NONE, f"reversal{why} of a payment not recorded in the ledger")


def _by_reference(entry: Entry, index: Index) -> Proposal | None:
    targets: list[_Open] = []
    named: list[str] = []
    for token in _TOKEN.findall(entry.remittance):
        found = index.refs.get(compact(token))
        if found is None or found[1] in named:
            continue
        named.append(found[1])
        if found[0] == "invoice":
            target = index.invoices.get(found[1])
            targets += [target] if target is not None and target.balance > 0 else []
        else:
            targets += [o for o in index.by_case.get(found[1], []) if o.balance > 0]
    if not named:
        return None
    what = ", ".join(named)
    unique = list({id(t): t for t in targets}.values())
    if not unique:
        return Proposal(entry, AMBIGUOUS, f"{what} in the remittance, but nothing of it is open")
    due = sum((t.balance for t in unique), _ZERO)
    if entry.amount > due:
        return Proposal(
            entry, AMBIGUOUS, f"{what} in the remittance, but {entry.amount:.2f} is more than the {due:.2f} due"
        )
    payments = _allocate(entry.amount, unique)
    clients = {t.client for t in unique}
    part = "" if entry.amount == due else f" (part of the {due:.2f} due)"
    return Proposal(
        entry, REFERENCE, f"{what} in the remittance{part}", payments, clients.pop() if len(clients) == 1 else None
    )


def _allocate(amount: Decimal, targets: list[_Open]) -> tuple[Payment, ...]:
    """The amount over the invoices, oldest due first (docs/engine.md): one payment per case,
    naming the invoice when it pays just one."""
    by_case: dict[str, list[tuple[_Open, Decimal]]] = {}
    left = amount
    for target in sorted(targets, key=lambda t: t.due_order):
        if left <= 0:
            break
        part = min(left, target.balance)
        by_case.setdefault(target.case, []).append((target, part))
        left -= part
    payments = []
    for case, parts in by_case.items():
        total = sum((p for _, p in parts), _ZERO)
        payments.append(Payment(case, parts[0][0].number if len(parts) == 1 else None, total))
    return tuple(payments)


def _by_amount(entry: Entry, index: Index) -> Proposal:
    # One candidate per set of cases paid: an invoice that is also its case's plan instalment
    # or promised amount is one candidate, named by the first found (the invoice).
    found = [c for c in index.amounts.get(entry.amount, []) if _still_open(index, c[1])]
    candidates = list({tuple((p.case, p.amount) for p in c[1]): c for c in reversed(found)}.values())[::-1]
    name = normalized_name(entry.counterparty)
    named = [c for c in candidates if name and _close(name, index.names.get(c[0], ""))]
    amount = f"{entry.amount:.2f}"
    if named:
        if len(named) == 1:
            client, payments, what = named[0]
            return Proposal(
                entry,
                AMOUNT_NAME,
                f"{amount} = {_what(what, payments)}, from {index.display[client]}",
                payments,
                client,
            )
        return Proposal(entry, AMBIGUOUS, f"{amount} fits {_several(named)} of {index.display[named[0][0]]}")
    if len(candidates) == 1:
        client, payments, what = candidates[0]
        return Proposal(
            entry,
            AMOUNT,
            f"{amount} = {_what(what, payments)} of {index.display[client]}; the name does not confirm it",
            payments,
            client,
        )
    if candidates:
        return Proposal(entry, AMBIGUOUS, f"{amount} fits {_several(candidates)}")
    near = _closest_client(name, index) if name else None
    if near is not None:
        return Proposal(entry, NONE, f"no open amount of {amount} for {index.display[near]}", client=near)
    return Proposal(entry, NONE, "no open invoice, case or client fits")


def _what(what: str, payments: tuple[Payment, ...]) -> str:
    if what == "invoice":
        return f"invoice {payments[0].invoice}"
    if what == "case":
        return f"the open invoices of case {payments[0].case}"
    if what == "all open cases":
        return "open cases " + ", ".join(p.case for p in payments)
    return f"{what} of case {payments[0].case}"


def _several(candidates: list[tuple[str, tuple[Payment, ...], str]]) -> str:
    names = [p.invoice or p.case for _, payments, _ in candidates for p in payments]
    return f"{len(candidates)} open items ({', '.join(dict.fromkeys(names))})"


def _closest_client(name: str, index: Index) -> str | None:
    best = process.extractOne(name, index.choice_names, scorer=fuzz.token_sort_ratio, score_cutoff=NAME_THRESHOLD)
    return index.choices[best[2]][0] if best is not None else None


def _close(a: str, b: str) -> bool:
    return bool(b) and fuzz.token_sort_ratio(a, b) >= NAME_THRESHOLD


def _still_open(index: Index, payments: tuple[Payment, ...]) -> bool:
    """The amount still fits: nothing taken since the index was built by an earlier entry."""
    for payment in payments:
        opened = index.by_case.get(payment.case, [])
        if payment.invoice is not None:
            found = index.invoices.get(payment.invoice)
            if found is None or found.balance < payment.amount:
                return False
        elif sum((o.balance for o in opened), _ZERO) < payment.amount:
            return False
    return True


def _take(index: Index, payment: Payment) -> None:
    targets = [index.invoices[payment.invoice]] if payment.invoice else index.by_case.get(payment.case, [])
    left = payment.amount
    for target in targets:
        part = min(left, target.balance)
        target.balance -= part
        left -= part
