"""Pseudonymised copy of a ledger, for a dashboard the public can reach (`build --redact`).

Layer: model -> model. Debtor names, contact names, e-mails, phones, addresses, SIREN/VAT,
free-text notes, references and reasons are replaced before anything is computed or
rendered, so pages, letters and data.json can only ever see the pseudonyms. A client's
pseudonym ("Client 7F3A", id `client-7f3a`) is a keyed hash of its id: stable from one build
to the next. The key must be a secret, else anyone could hash guessed client ids and match
them: `RELANCEGIT_REDACT_KEY` when set (a CI secret), else random bytes kept in
`.relancegit/redact-key` beside the ledger folder (git-ignored, this machine only). Nothing
printed on a page (the creditor's name, SIREN, IBAN, address) goes into the key.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from relancegit.model import Case, Client, Contact, Ledger

ENV_KEY = "RELANCEGIT_REDACT_KEY"
MASK = "•••"
_FIRST_DIGITS = 4


KEY_FILE = Path(".relancegit") / "redact-key"  # beside the ledger folder, like the outbox
_KEY_CHARS = 64  # 32 random bytes, as hex


def redaction_key(ledger: Ledger, environ: Mapping[str, str]) -> bytes:
    """`RELANCEGIT_REDACT_KEY` when set, else the local key (see `local_key`)."""
    secret = environ.get(ENV_KEY)
    if secret:
        return secret.encode("utf-8")
    return local_key(ledger.root)[0].encode("utf-8")


def key_file(ledger_root: Path) -> Path:
    return ledger_root.resolve().parent / KEY_FILE


def local_key(ledger_root: Path) -> tuple[str, Path | None]:
    """The random key kept in `.relancegit/redact-key` beside the ledger folder, made on first
    use (mode 0600); and that file, or None when it cannot be written (a read-only checkout):
    then the key is new at each call and pseudonyms change from one build to the next."""
    path = key_file(ledger_root)
    found = _read_key(path)
    if found is not None:
        return found, path
    key = secrets.token_hex(_KEY_CHARS // 2)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(key + "\n")
        try:
            os.link(temp, path)  # complete or absent, never half-written; the first writer wins
        except FileExistsError:
            if (theirs := _read_key(path)) is not None:
                key = theirs
            else:  # not a key of ours (empty, damaged): replaced
                temp.replace(path)
        finally:
            temp.unlink(missing_ok=True)
    except OSError:
        return key, None
    return key, path


def _read_key(path: Path) -> str | None:
    try:
        text = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return text if len(text) == _KEY_CHARS and all(c in "0123456789abcdef" for c in text) else None


def pseudonyms(client_ids: list[str], key: bytes) -> dict[str, str]:
    """Client id -> pseudonym code (hex, upper case), 4 digits, longer only on a collision."""
    digests = {cid: hmac.new(key, cid.encode("utf-8"), hashlib.sha256).hexdigest().upper() for cid in client_ids}
    codes: dict[str, str] = {}
    length = _FIRST_DIGITS
    pending = sorted(client_ids)
    while pending:
        by_code: dict[str, list[str]] = {}
        for cid in pending:
            by_code.setdefault(digests[cid][:length], []).append(cid)
        pending = []
        for code, owners in by_code.items():
            if len(owners) == 1 and code not in codes.values():
                codes[owners[0]] = code
            else:
                pending.extend(owners)
        length += 2
    return codes


def redact_ledger(ledger: Ledger, key: bytes) -> Ledger:
    """The same ledger with every debtor detail and free text replaced (amounts, dates,
    invoice numbers, case ids and the creditor's own details are kept)."""
    codes = pseudonyms(list(ledger.clients), key)
    new_ids = {cid: f"client-{code.lower()}" for cid, code in codes.items()}
    clients = {new_ids[cid]: _client(client, new_ids[cid], codes[cid]) for cid, client in ledger.clients.items()}
    cases = {cid: _case(case, new_ids) for cid, case in ledger.cases.items()}
    return Ledger(
        root=ledger.root,
        config=ledger.config,
        clients=clients,
        cases=cases,
        case_files=dict(ledger.case_files),
        client_files={new_ids[cid]: path for cid, path in ledger.client_files.items() if cid in new_ids},
    )


def _client(client: Client, new_id: str, code: str) -> Client:
    name = f"Client {code}"
    contacts = tuple(
        Contact(name=f"Contact {i}", role=contact.role) for i, contact in enumerate(client.contacts, start=1)
    )
    return client.model_copy(
        update={
            "id": new_id,
            "name": name,
            "address": (name, MASK) if client.address else None,
            "siren": None,
            "vat": None,
            "contacts": contacts,
            "notes": MASK if client.notes else None,
        }
    )


def _case(case: Case, new_ids: Mapping[str, str]) -> Case:
    invoices = tuple(inv.model_copy(update={"file": None}) for inv in case.invoices)
    events = tuple(_event(event) for event in case.events)
    return case.model_copy(
        update={"client": new_ids.get(case.client, case.client), "invoices": invoices, "events": events}
    )


def _event(event: Any) -> Any:
    update: dict[str, Any] = {}
    for name in ("note", "by", "ref"):
        if getattr(event, name, None):
            update[name] = MASK if name == "note" else None
    if getattr(event, "reason", None):
        update["reason"] = MASK
    return event.model_copy(update=update) if update else event
