"""Match bank credits to open invoices, best first, and say why.

Layer: pure computation on the ledger's `Index` (plain data, built by `matching.index` with
the engine's functions) and the statement's entries; nothing is read or written here, and
neither the model nor the engine is imported (a cached index is matched without them). Each entry gets one `Proposal`: a
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

import marshal
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from decimal import Decimal
from typing import NamedTuple

from relancegit.matching.statement import Entry

REFERENCE = "reference"
AMOUNT_NAME = "amount+name"
AMOUNT = "amount"
AMBIGUOUS = "ambiguous"
NONE = "none"
CONFIDENT = frozenset({REFERENCE, AMOUNT_NAME})

NAME_THRESHOLD = 85  # rapidfuzz token_sort_ratio, 0-100, on the normalised names
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
_NOT_REFERENCE = re.compile(r"[^A-Z0-9]")
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
    return _NOT_REFERENCE.sub("", token.upper())


def cents(amount: Decimal) -> int | None:
    """An amount in cents; None when it has more than 2 decimals."""
    scaled = amount.scaleb(2)
    whole = int(scaled)
    return whole if whole == scaled else None


def whole_cents(amount: Decimal) -> int:
    """A ledger amount in cents (the model allows 2 decimals at most)."""
    return int(amount.scaleb(2).to_integral_value())


def money(amount_cents: int) -> Decimal:
    """Cents as a Decimal amount with 2 decimals."""
    return Decimal(amount_cents).scaleb(-2)


class Payment(NamedTuple):
    """A payment the proposal would record: in `case`, on `invoice` when known."""

    case: str
    invoice: str | None
    cents: int

    @property
    def amount(self) -> Decimal:
        return money(self.cents)


class Proposal(NamedTuple):
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


# A payment an amount stands for, as plain data: (case, invoice or None, amount in cents).
Due = tuple[str, str | None, int]
# An amount a client pays: (client id, the payments it makes, what it is: "invoice", "case"...).
Candidate = tuple[str, tuple[Due, ...], str]


@dataclass
class Index:
    """The open invoices of a ledger, looked up by reference, by amount and by client.

    Plain data only (str, int, tuples, lists and dicts of them; amounts in cents): it is kept
    in the ledger's cache and read back on every run, and plain data unpickles fast. An open
    invoice is a number `k` into the `open_*` lists and `balance`; `balance` is the one thing
    `propose` changes."""

    refs: dict[str, tuple[str, str]] = field(default_factory=dict)  # compact ref -> ("invoice"|"case", id)
    invoices: dict[str, int] = field(default_factory=dict)  # invoice number -> open invoice
    by_case: dict[str, list[int]] = field(default_factory=dict)  # case id -> its open invoices, oldest due first
    open_case: list[str] = field(default_factory=list)
    open_client: list[str] = field(default_factory=list)
    open_number: list[str] = field(default_factory=list)
    open_due: list[tuple[int, int]] = field(default_factory=list)  # (due date's ordinal, rank in its case)
    balance: list[int] = field(default_factory=list)  # in cents
    amounts: dict[int, list[Candidate]] = field(default_factory=dict)  # by amount in cents
    names: dict[str, str] = field(default_factory=dict)  # client id -> normalised name
    display: dict[str, str] = field(default_factory=dict)  # client id -> name as written
    recorded: dict[str, str] = field(default_factory=dict)  # payment ref -> case id
    payment_events: dict[str, tuple[str, int, bool]] = field(default_factory=dict)  # ref -> (case, event, voided)
    choices: list[tuple[str, str]] = field(default_factory=list)  # (client id, normalised name)
    choice_names: list[str] = field(default_factory=list)  # the names of `choices`, for rapidfuzz

    def add_amount(self, amount: int, client: str, payments: tuple[Due, ...], what: str) -> None:
        self.amounts.setdefault(amount, []).append((client, payments, what))

    def add_open(self, case: str, client: str, number: str, due: tuple[int, int], balance: int) -> int:
        self.open_case.append(case)
        self.open_client.append(client)
        self.open_number.append(number)
        self.open_due.append(due)
        self.balance.append(balance)
        return len(self.balance) - 1


@dataclass
class LedgerView:
    """What `match` needs of a ledger without `--apply`, as plain data (kept in the cache):
    whether its configuration is valid, its currency, its index and how many of its files
    were left out for their errors."""

    config_valid: bool
    currency: str
    index: Index  # empty when the configuration has errors
    left_out: int

    def dumps(self) -> bytes:
        """The view as `marshal` bytes: read back faster than a pickle of it (plain data only).
        Their format is this Python's (`marshal.version`): whoever keeps them keys them so."""
        index = self.index
        parts = tuple(getattr(index, f.name) for f in fields(Index))
        return marshal.dumps((self.config_valid, self.currency, self.left_out, parts))

    @classmethod
    def loads(cls, data: bytes) -> LedgerView:
        """The view `dumps` gave; ValueError when `data` is not one."""
        try:
            valid, currency, left_out, parts = marshal.loads(data)
            return cls(valid, currency, Index(*parts), left_out)
        except (EOFError, TypeError, ValueError) as exc:
            raise ValueError(f"not a ledger view: {exc}") from None


class Prepared(NamedTuple):
    """What matching needs of an entry that does not depend on the ledger, computed where the
    entry is read (by `relancegit match`, in the process reading the statement)."""

    entry: Entry
    cents: int | None  # None: more than 2 decimals
    words: tuple[str, ...]  # the remittance's words, compacted: references are looked up by them
    name: str  # the counterparty's name, normalised
    amount_text: str  # the amount, with 2 decimals


def prepare(entry: Entry) -> Prepared:
    name = _NORMALIZED.get(entry.counterparty)
    if name is None:
        name = normalized_name(entry.counterparty)
        if len(_NORMALIZED) < _MAX_KEPT:
            _NORMALIZED[entry.counterparty] = name
    words = tuple(_compacted(token) for token in _TOKEN.findall(entry.remittance))
    return Prepared(entry, cents(entry.amount), words, name, f"{entry.amount:.2f}")


def propose(entries: Iterable[Entry | Prepared], index: Index, currency: str) -> list[Proposal]:
    """One proposal per entry, in the statement's order. A confident proposal takes its
    amounts off the open balances, so a later entry does not pay the same invoice twice."""
    proposals: list[Proposal] = []
    seen: set[str] = set()
    names = _Names(index)
    for item in entries:
        prepared = item if isinstance(item, Prepared) else prepare(item)
        entry = prepared.entry
        if entry.currency and entry.currency != currency:
            proposal = Proposal(entry, NONE, f"in {entry.currency}, not the ledger's {currency}")
        elif prepared.cents is None:
            proposal = Proposal(entry, NONE, f"amount {entry.amount} has more than 2 decimals")
        else:
            proposal = _propose(prepared, index, seen, names)
        seen.add(entry.ref)
        if proposal.confident:
            for payment in proposal.payments:
                _take(index, payment)
        proposals.append(proposal)
    return proposals


class _Names:
    """Names as compared, and the closest client of a name, computed once per name in a run:
    statements repeat their payers."""

    def __init__(self, index: Index) -> None:
        from rapidfuzz import fuzz, process  # here: a replayed `match` does not import it

        self.index = index
        self._ratio = fuzz.token_sort_ratio
        self._extract_one = process.extractOne
        self._closest: dict[str, str | None] = {}

    def closest_client(self, name: str) -> str | None:
        if name not in self._closest:
            index = self.index
            best = self._extract_one(name, index.choice_names, scorer=self._ratio, score_cutoff=NAME_THRESHOLD)
            self._closest[name] = index.choices[best[2]][0] if best is not None else None
        return self._closest[name]

    def close(self, a: str, b: str) -> bool:
        """Two normalised names are the same payer's."""
        return bool(b) and self._ratio(a, b) >= NAME_THRESHOLD


def _propose(prepared: Prepared, index: Index, seen: set[str], names: _Names) -> Proposal:
    entry = prepared.entry
    if entry.reversal:
        return _reversal(entry, index)
    if entry.ref in index.recorded:
        case = index.recorded[entry.ref]
        return Proposal(entry, NONE, f"already recorded: payment ref {entry.ref} in case {case}", recorded_in=case)
    if entry.ref in seen:
        return Proposal(entry, NONE, f"bank reference {entry.ref} appears twice in the statement")
    return _by_reference(prepared, index) or _by_amount(prepared, index, names)


# Kept for the run (bounded): statements repeat their words and payers.
_COMPACTED: dict[str, str] = {}  # word -> compact(word)
_NORMALIZED: dict[str, str] = {}  # name -> normalized_name(name)
_MAX_KEPT = 100_000
_NO_CANDIDATES: list[Candidate] = []


def _compacted(token: str) -> str:
    found = _COMPACTED.get(token)
    if found is None:
        found = compact(token)
        if len(_COMPACTED) < _MAX_KEPT:
            _COMPACTED[token] = found
    return found


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


def _by_reference(prepared: Prepared, index: Index) -> Proposal | None:
    entry, amount = prepared.entry, prepared.cents
    assert amount is not None
    targets: list[int] = []
    named: list[str] = []
    balance = index.balance
    for word in prepared.words:
        found = index.refs.get(word)
        if found is None or found[1] in named:
            continue
        named.append(found[1])
        if found[0] == "invoice":
            target = index.invoices.get(found[1])
            targets += [target] if target is not None and balance[target] > 0 else []
        else:
            targets += [k for k in index.by_case.get(found[1], []) if balance[k] > 0]
    if not named:
        return None
    what = ", ".join(named)
    unique = list(dict.fromkeys(targets))
    if not unique:
        return Proposal(entry, AMBIGUOUS, f"{what} in the remittance, but nothing of it is open")
    due = sum(balance[k] for k in unique)
    if amount > due:
        return Proposal(
            entry,
            AMBIGUOUS,
            f"{what} in the remittance, but {prepared.amount_text} is more than the {money(due):.2f} due",
        )
    payments = _allocate(amount, unique, index)
    clients = {index.open_client[k] for k in unique}
    part = "" if amount == due else f" (part of the {money(due):.2f} due)"
    return Proposal(
        entry, REFERENCE, f"{what} in the remittance{part}", payments, clients.pop() if len(clients) == 1 else None
    )


def _allocate(amount: int, targets: list[int], index: Index) -> tuple[Payment, ...]:
    """The amount (in cents) over the invoices, oldest due first (docs/engine.md): one payment
    per case, naming the invoice when it pays just one."""
    if len(targets) == 1:  # the usual case: one invoice named
        (target,) = targets
        return (Payment(index.open_case[target], index.open_number[target], min(amount, index.balance[target])),)
    by_case: dict[str, list[tuple[int, int]]] = {}
    left = amount
    for target in sorted(targets, key=index.open_due.__getitem__):
        if left <= 0:
            break
        part = min(left, index.balance[target])
        by_case.setdefault(index.open_case[target], []).append((target, part))
        left -= part
    payments = []
    for case, parts in by_case.items():
        total = sum(p for _, p in parts)
        payments.append(Payment(case, index.open_number[parts[0][0]] if len(parts) == 1 else None, total))
    return tuple(payments)


def _by_amount(prepared: Prepared, index: Index, names: _Names) -> Proposal:
    # One candidate per set of cases paid: an invoice that is also its case's plan instalment
    # or promised amount is one candidate, named by the first found (the invoice).
    entry, name, amount = prepared.entry, prepared.name, prepared.amount_text
    assert prepared.cents is not None
    found = [c for c in index.amounts.get(prepared.cents, _NO_CANDIDATES) if _still_open(index, c[1])]
    if len(found) > 1:
        candidates = list({tuple((p[0], p[2]) for p in c[1]): c for c in reversed(found)}.values())[::-1]
    else:
        candidates = found
    named = [c for c in candidates if name and names.close(name, index.names.get(c[0], ""))]
    if named:
        if len(named) == 1:
            client, dues, what = named[0]
            return Proposal(
                entry,
                AMOUNT_NAME,
                f"{amount} = {_what(what, dues)}, from {index.display[client]}",
                _payments(dues),
                client,
            )
        return Proposal(entry, AMBIGUOUS, f"{amount} fits {_several(named)} of {index.display[named[0][0]]}")
    if len(candidates) == 1:
        client, dues, what = candidates[0]
        return Proposal(
            entry,
            AMOUNT,
            f"{amount} = {_what(what, dues)} of {index.display[client]}; the name does not confirm it",
            _payments(dues),
            client,
        )
    if candidates:
        return Proposal(entry, AMBIGUOUS, f"{amount} fits {_several(candidates)}")
    near = names.closest_client(name) if name else None
    if near is not None:
        return Proposal(entry, NONE, f"no open amount of {amount} for {index.display[near]}", client=near)
    return Proposal(entry, NONE, "no open invoice, case or client fits")


def _payments(dues: tuple[Due, ...]) -> tuple[Payment, ...]:
    return tuple(Payment(case, invoice, amount) for case, invoice, amount in dues)


def _what(what: str, dues: tuple[Due, ...]) -> str:
    case, invoice, _ = dues[0]
    if what == "invoice":
        return f"invoice {invoice}"
    if what == "case":
        return f"the open invoices of case {case}"
    if what == "all open cases":
        return "open cases " + ", ".join(d[0] for d in dues)
    return f"{what} of case {case}"


def _several(candidates: list[Candidate]) -> str:
    names = [invoice or case for _, dues, _ in candidates for case, invoice, _ in dues]
    return f"{len(candidates)} open items ({', '.join(dict.fromkeys(names))})"


def _still_open(index: Index, dues: tuple[Due, ...]) -> bool:
    """The amount still fits: nothing taken since the index was built by an earlier entry."""
    balance = index.balance
    for case, invoice, amount in dues:
        if invoice is not None:
            found = index.invoices.get(invoice)
            if found is None or balance[found] < amount:
                return False
        elif sum(balance[k] for k in index.by_case.get(case, [])) < amount:
            return False
    return True


def _take(index: Index, payment: Payment) -> None:
    targets = [index.invoices[payment.invoice]] if payment.invoice else index.by_case.get(payment.case, [])
    left = payment.cents
    for target in targets:
        part = min(left, index.balance[target])
        index.balance[target] -= part
        left -= part
