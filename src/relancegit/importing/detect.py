"""Which reader an input file needs, from its content (`--from` overrides).

Layer: bytes -> a format name; nothing parsed beyond the first bytes.
"""

from __future__ import annotations

import re
from pathlib import Path

FORMATS = ("csv", "fec", "facturx", "ubl", "cii")

_FEC_NAME = re.compile(r"^\d{9}FEC\d{8}", re.IGNORECASE)  # SIREN + "FEC" + closing date (A47 A-1)


def detect_format(path: Path, raw: bytes) -> str:
    head = raw[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"%PDF"):
        return "facturx"
    if head.startswith(b"<"):
        if b"CrossIndustryInvoice" in raw[:65536]:
            return "cii"
        return "ubl"
    first = head.split(b"\n", 1)[0]
    if (b"JournalCode" in first and b"EcritureNum" in first) or _FEC_NAME.match(path.name):
        return "fec"
    return "csv"
