"""Shared fixtures: small ledgers written from inline text, the way a user writes them."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from relancegit.read.load import LoadResult, load_ledger

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "ledger"
DEMO_TODAY = date(2026, 11, 23)

CONFIG = """\
creditor:
  name: Atelier Dupré SARL
  address: [12 rue des Tanneurs, 69007 Lyon]
rates:  # test figures (2026-H2 is unknown in the shipped table)
  - {period: 2026-H2, ecb: 2.15, legal_other: 2.62, legal_private: 6.67}
"""

CLIENT = """\
id: acme
name: ACME Industrie SAS
"""

CASE = """\
id: 2026-0042
client: acme
invoices:
  - number: F2026-0042
    date: 2026-09-01
    due: 2026-10-01
    amount: 1500.00
events:
  - {date: 2026-10-02, type: reminder, step: reminder-1, channel: email}
  - {date: 2026-10-16, type: payment, amount: 750, ref: "VIR SEPA 8812"}
"""

LedgerFactory = Callable[..., Path]


@pytest.fixture
def make_ledger(tmp_path: Path) -> LedgerFactory:
    """Write a ledger: `make_ledger({"cases/2026-0042.yaml": "..."})`, defaults filled in.

    Keys are paths under ledger/; texts are dedented. The minimal config, client `acme` and
    case `2026-0042` are written unless given (or given as None to leave them out).
    """

    def make(files: dict[str, str | bytes | None] | None = None) -> Path:
        root = tmp_path / "ledger"
        content: dict[str, str | bytes | None] = {
            "relancegit.yaml": CONFIG,
            "clients/acme.yaml": CLIENT,
            "cases/2026/2026-0042.yaml": CASE,
        }
        content.update(files or {})
        for name, text in content.items():
            if text is None:
                continue
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(text, bytes):
                path.write_bytes(text)
            else:
                path.write_text(textwrap.dedent(text), encoding="utf-8")
        return root

    return make


@pytest.fixture
def load(make_ledger: LedgerFactory) -> Callable[..., LoadResult]:
    """Write a ledger and load it as of 2026-11-23 (or `today`)."""

    def run(files: dict[str, str | bytes | None] | None = None, today: date = DEMO_TODAY) -> LoadResult:
        return load_ledger(make_ledger(files), today)

    return run


def positions(result: LoadResult) -> list[tuple[str, int, int, str, str]]:
    """(file name, line, column, severity, message) of every problem, for exact assertions."""
    return [(p.file.name, p.line, p.column, str(p.severity), p.message) for p in result.problems]
