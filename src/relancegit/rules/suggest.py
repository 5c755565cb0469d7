"""Suggestions for misspelt words of closed sets ("did you mean ...?"), kept in one place.

Layer: plain functions, no pydantic. French words users type for event types, channels and
statuses map to the ledger's word; otherwise difflib proposes the closest known word. Keys
written at the wrong level of a file name the section they belong under.
"""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Iterable

# French (and common English) words users type, by the ledger word they mean.
SYNONYMS: dict[str, dict[str, str]] = {
    "event type": {
        "paiement": "payment",
        "payement": "payment",
        "reglement": "payment",
        "versement": "payment",
        "virement": "payment",
        "relance": "reminder",
        "rappel": "reminder",
        "appel": "call",
        "telephone": "call",
        "promesse": "promise",
        "echeancier": "plan",
        "plan-de-paiement": "plan",
        "litige": "dispute",
        "contestation": "dispute",
        "fin-de-litige": "dispute-resolved",
        "litige-resolu": "dispute-resolved",
        "avoir": "credit-note",
        "credit": "credit-note",
        "pause": "pause",
        "suspension": "pause",
        "escalade": "escalation",
        "contentieux": "escalation",
        "passage-en-perte": "write-off",
        "perte": "write-off",
        "abandon": "write-off",
        "reconnaissance": "acknowledgement",
        "reconnaissance-de-dette": "acknowledgement",
        "titre": "title",
        "jugement": "title",
        "injonction": "title",
        "remarque": "note",
        "annulation": "void",
        "annule": "void",
    },
    "channel": {
        "courrier": "letter",
        "lettre": "letter",
        "recommande": "registered-letter",
        "lettre-recommandee": "registered-letter",
        "lrar": "registered-letter",
        "ar": "registered-letter",
        "mail": "email",
        "e-mail": "email",
        "courriel": "email",
        "telephone": "phone",
        "tel": "phone",
        "appel": "phone",
        "texto": "sms",
        "remise-en-main-propre": "handover",
        "main-propre": "handover",
    },
    "status": {
        "en-litige": "disputed",
        "litige": "disputed",
        "paye": "paid",
        "payee": "paid",
        "regle": "paid",
        "en-retard": "overdue",
        "retard": "overdue",
        "impaye": "overdue",
        "en-pause": "paused",
        "echeancier": "plan",
        "promesse": "promised",
        "a-venir": "upcoming",
        "contentieux": "escalated",
        "perte": "written-off",
    },
}

# Keys of a nested section that users write at the top of a file, by file kind.
WRONG_LEVEL: dict[str, dict[str, str]] = {
    "client": {"email": "contacts", "phone": "contacts", "role": "contacts"},
    "case": {"amount": "invoices", "due": "invoices", "number": "invoices", "date": "invoices", "net": "invoices"},
    "config": {
        "iban": "creditor",
        "bic": "creditor",
        "siren": "creditor",
        "vat": "creditor",
        "name": "creditor",
        "address": "creditor",
        "email": "creditor",
        "phone": "creditor",
        "signatory": "creditor",
    },
}


def plain(word: str) -> str:
    """Lowercase, without accents, spaces and underscores as hyphens: how synonyms are looked up."""
    decomposed = unicodedata.normalize("NFKD", word.strip().casefold())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return "-".join(bare.replace("_", " ").replace("-", " ").split())


def closest(word: object, known: Iterable[str], kind: str = "") -> str | None:
    """The known word the user most likely meant, or None."""
    if not isinstance(word, str) or not word.strip():
        return None
    names = list(known)
    synonym = SYNONYMS.get(kind, {}).get(plain(word))
    if synonym is not None and synonym in names and synonym != word:
        return synonym
    if plain(word) in names and plain(word) != word:
        return plain(word)
    close = difflib.get_close_matches(word, names, n=1, cutoff=0.6)
    if not close:
        close = difflib.get_close_matches(plain(word), names, n=1, cutoff=0.6)
    return close[0] if close and close[0] != word else None


def did_you_mean(word: object, known: Iterable[str], kind: str = "") -> str:
    """ " (did you mean 'x'?)" or an empty string."""
    found = closest(word, known, kind)
    return f" (did you mean '{found}'?)" if found else ""


def wrong_level(file_kind: str, key: str) -> str | None:
    """The section a top-level key belongs under, or None."""
    return WRONG_LEVEL.get(file_kind, {}).get(key)
