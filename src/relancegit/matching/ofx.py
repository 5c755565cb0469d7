"""Read an OFX statement (OFX 2, XML; OFX 1 SGML is read too) with `ofxtools`.

Layer: bytes -> `Statement`. OFX 2 is checked by the safe XML parser first (a DOCTYPE is
refused, located); OFX 1 with a DOCTYPE or an entity is refused the same way. Each credit
transaction (`TRNAMT` > 0) is an entry: `DTPOSTED`, `TRNAMT`, the account's `CURDEF`,
`NAME` (the payer), `MEMO` (the remittance text) and `FITID` (the bank's reference).
"""

from __future__ import annotations

import io
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

from relancegit.matching.statement import Entry, Statement
from relancegit.safexml import XmlRefused, safe_parse

_CENT = Decimal("0.01")

_DECLARATION = re.compile(rb"<!DOCTYPE|<!ENTITY", re.IGNORECASE)


def read_ofx(path: Path, raw: bytes) -> Statement:
    statement = Statement(path, "ofx")
    try:
        if raw.lstrip().startswith(b"<?xml"):
            safe_parse(raw)
        else:
            found = _DECLARATION.search(raw)
            if found is not None:
                line = raw.count(b"\n", 0, found.start()) + 1
                raise XmlRefused(
                    line, found.start() - raw.rfind(b"\n", 0, found.start()), "refused: a DOCTYPE or entity"
                )
    except XmlRefused as exc:
        statement.error(
            exc.line, exc.column, exc.message.replace("an e-invoice has no DOCTYPE", "a bank statement has none")
        )
        return statement
    from ofxtools.Parser import OFXTree

    tree = OFXTree()
    try:
        tree.parse(io.BytesIO(raw))
        ofx: Any = tree.convert()
    except Exception as exc:
        statement.error(1, 1, f"not a readable OFX statement: {exc}")
        return statement
    for stmt in ofx.statements:
        currency = str(getattr(stmt, "curdef", "") or "")
        for tx in stmt.transactions:
            amount = Decimal(tx.trnamt)
            if amount <= 0:
                continue  # a debit: not a payment received
            fitid = str(tx.fitid)
            at = raw.find(b"<FITID>" + fitid.encode())
            line = raw.count(b"\n", 0, at) + 1 if at >= 0 else 1
            if amount != amount.quantize(_CENT):
                statement.error(line, 1, f"amount '{tx.trnamt}' must be positive with at most 2 decimals")
                continue
            remittance = " ".join(str(v) for v in (tx.memo, getattr(tx, "refnum", None)) if v)
            statement.entries.append(
                Entry(
                    path,
                    line,
                    tx.dtposted.date(),
                    amount,
                    currency,
                    fitid,
                    counterparty=str(tx.name or getattr(tx, "payee", None) or ""),
                    remittance=remittance,
                )
            )
    return statement
