"""Which kind of statement a file is, from its content (`--from` overrides)."""

from __future__ import annotations

import re

FORMATS = ("camt053", "ofx", "csv")

_CAMT = re.compile(rb"urn:iso:std:iso:20022:tech:xsd:camt\.05[234]")
_OFX = re.compile(rb"OFXHEADER|<OFX>", re.IGNORECASE)


def detect_format(raw: bytes) -> str:
    head = raw[:4096]
    if _CAMT.search(head):
        return "camt053"
    if _OFX.search(head):
        return "ofx"
    return "csv"
