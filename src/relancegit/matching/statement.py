"""A bank statement as `relancegit match` sees it: credit entries (and the reversals and
returns of earlier credits), each with the line it was read from, and located problems.

Layer: plain values. The readers (`camt`, `ofx`, `csvfile`) make them; nothing here knows
the ledger.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import NamedTuple

from relancegit.problems import Problem, Severity


class Entry(NamedTuple):
    """One credit on the account (or, with `reversal`, the reversal or return of one). A named
    tuple: a statement has thousands, made, pickled between processes and matched in a run."""

    file: Path
    line: int
    date: date  # the booking date
    amount: Decimal  # > 0
    currency: str
    ref: str  # the bank's reference of the entry (camt AcctSvcrRef / NtryRef, OFX FITID)
    counterparty: str = ""
    iban: str = ""
    remittance: str = ""  # unstructured text, then structured references, space-separated
    end_to_end: str = ""
    reversal: bool = False
    return_reason: str = ""
    original_ref: str = ""  # a reversal's reference of the credit it reverses, when given


@dataclass
class Statement:
    file: Path
    kind: str
    entries: list[Entry] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def error(self, line: int, column: int, message: str) -> None:
        self.problems.append(Problem(self.file, message, Severity.ERROR, line=line, column=column))
