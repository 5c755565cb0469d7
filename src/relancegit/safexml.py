"""XML parsed safely, for e-invoices (`importing.einvoice`) and bank statements (`matching`).

Layer: bytes -> an lxml element; nothing else is imported (a bank statement is read in a
process that imports only this and lxml). Any DOCTYPE is refused before parsing (neither an
e-invoice nor a bank statement has one; through one come entity bombs and external entities),
then lxml parses with entities, DTDs and the network off, keeping line numbers for messages.
"""

from __future__ import annotations

import re
from typing import Any

from lxml import etree

_DOCTYPE = re.compile(rb"<!DOCTYPE|<!ENTITY", re.IGNORECASE)


class XmlRefused(Exception):
    def __init__(self, line: int, column: int, message: str) -> None:
        super().__init__(message)
        self.line, self.column, self.message = line, column, message


def safe_parse(raw: bytes) -> Any:
    """The XML's root element; `XmlRefused` (located) for a DOCTYPE or a syntax error."""
    found = _DOCTYPE.search(raw)
    if found is not None:
        line = raw.count(b"\n", 0, found.start()) + 1
        column = found.start() - raw.rfind(b"\n", 0, found.start())
        external = re.search(rb"<!ENTITY[^>]*\b(SYSTEM|PUBLIC)\b", raw, re.IGNORECASE)
        what = "an external entity" if external else "a DOCTYPE (entity definitions can expand without bound)"
        raise XmlRefused(line, column, f"refused: {what}; an e-invoice has no DOCTYPE")
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False, huge_tree=False
    )
    try:
        return etree.fromstring(raw, parser)
    except etree.XMLSyntaxError as exc:
        line, column = exc.position if exc.position else (1, 1)
        raise XmlRefused(line, column + 1, f"not well-formed XML: {exc.msg}") from None
