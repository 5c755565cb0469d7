"""`relancegit rates`: the half-year rate table as the ledger sees it, and what it lacks.

Layer: render over the engine. The known rows are the packaged table (`data/rates.yaml`)
merged with the ledger's `rates:` rows (`rates.RateTable`); the missing half-years are the
engine's own `penalties.missing_rates` of each case, never derived again here. The YAML
lines it proposes carry `unknown` placeholders: the figures come from the official sources
(docs/legal-fr.md, "Adding a half-year"), never from a guess.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from relancegit.engine.rates import RateTable, shipped_rows
from relancegit.engine.state import CaseState
from relancegit.model import Config

RATE_FIELDS = ("ecb", "legal_other", "legal_private")
PLACEHOLDER = "unknown"
# The field each kind of debtor's interest reads (engine/penalties.py, RateSource): business
# debtors the ECB rate (plus the margin of `penalties.rate`), consumers the legal rate "other
# cases" (the creditor is a business). A fixed business rate needs no row at all.
FIELD_BY_DEBTOR = {"business": "ecb", "consumer": "legal_other"}


@dataclass(frozen=True)
class KnownRow:
    """One half-year of the merged table and which of its figures the ledger set."""

    period: str
    ecb: Decimal | None
    penalty: Decimal | None  # the business penalty rate for the half-year, when computable
    legal_other: Decimal | None
    legal_private: Decimal | None
    packaged: bool  # the half-year is in the packaged table
    from_ledger: tuple[str, ...]  # fields set by relancegit.yaml `rates:` (override the packaged ones)

    @property
    def source(self) -> str:
        if not self.from_ledger:
            return "packaged"
        return "ledger over packaged" if self.packaged else "ledger"


@dataclass(frozen=True)
class MissingRate:
    """A half-year the engine needs and the table lacks, the field it lacks, and for whom."""

    period: str
    fields: tuple[str, ...]
    cases: tuple[str, ...]


@dataclass(frozen=True)
class RatesReport:
    today: date
    penalty_rate: str  # `penalties.rate`: `ecb+10` or a fixed rate like `12%`
    rows: tuple[KnownRow, ...]
    missing: tuple[MissingRate, ...]
    ledger_has_rates: bool  # relancegit.yaml already has `rates:` rows

    def yaml_lines(self) -> list[str]:
        """The lines to add to relancegit.yaml, one row per missing half-year."""
        if not self.missing:
            return []
        rows = [
            "  - {period: " + m.period + "".join(f", {f}: {PLACEHOLDER}" for f in m.fields) + "}" for m in self.missing
        ]
        return rows if self.ledger_has_rates else ["rates:", *rows]


def rates_report(config: Config, states: Iterable[CaseState], today: date) -> RatesReport:
    """The merged rate table and the half-years the cases' penalty interest lacks as of `today`."""
    packaged = {row.period for row in shipped_rows()}
    set_by_ledger: dict[str, set[str]] = {}
    for row in config.rates:
        fields = set_by_ledger.setdefault(row.period, set())
        fields.update(f for f in RATE_FIELDS if getattr(row, f) is not None)
    table = RateTable.for_config(config)
    fixed, margin = config.penalties.fixed_rate, config.penalties.ecb_margin
    rows = []
    for period in table.periods():
        rates = table.get(period)
        if fixed is not None:
            penalty: Decimal | None = fixed
        else:
            penalty = None if rates.ecb is None else rates.ecb + margin
        rows.append(
            KnownRow(
                period=period,
                ecb=rates.ecb,
                penalty=penalty,
                legal_other=rates.legal_other,
                legal_private=rates.legal_private,
                packaged=period in packaged,
                from_ledger=tuple(f for f in RATE_FIELDS if f in set_by_ledger.get(period, ())),
            )
        )
    needs: dict[str, tuple[set[str], list[str]]] = {}
    for state in states:
        for period in state.penalties.missing_rates:
            fields, cases = needs.setdefault(period, (set(), []))
            fields.add(FIELD_BY_DEBTOR[state.client.type])
            cases.append(state.id)
    missing = tuple(
        MissingRate(period, tuple(f for f in RATE_FIELDS if f in fields), tuple(sorted(cases)))
        for period, (fields, cases) in sorted(needs.items())
    )
    return RatesReport(today, config.penalties.rate, tuple(rows), missing, bool(config.rates))


# --- output ----------------------------------------------------------------------------------


def _percent(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def report_json(report: RatesReport) -> dict[str, Any]:
    """Stable keys; rates as strings in annual percent with two decimals, null when unknown."""
    return {
        "today": report.today.isoformat(),
        "penalty_rate": report.penalty_rate,
        "rates": [
            {
                "period": row.period,
                "ecb": _percent(row.ecb),
                "penalty": _percent(row.penalty),
                "legal_other": _percent(row.legal_other),
                "legal_private": _percent(row.legal_private),
                "source": row.source,
                "from_ledger": list(row.from_ledger),
            }
            for row in report.rows
        ],
        "missing": [{"period": m.period, "fields": list(m.fields), "cases": list(m.cases)} for m in report.missing],
        "add": report.yaml_lines(),
    }


def report_text(report: RatesReport, config_path: str) -> str:
    """The table, then either "nothing missing" or the half-years to add and the lines to paste."""
    header = ("half-year", "ECB", f"penalty ({report.penalty_rate})", "legal other", "legal private", "source")
    cells = [
        (
            row.period,
            *(_percent(v) or "-" for v in (row.ecb, row.penalty, row.legal_other, row.legal_private)),
            row.source + (f" ({', '.join(row.from_ledger)})" if row.from_ledger and row.packaged else ""),
        )
        for row in report.rows
    ]
    widths = [max(len(line[i]) for line in [header, *cells]) for i in range(len(header))]
    right = {1, 2, 3, 4}

    def line(values: tuple[str, ...]) -> str:
        parts = [v.rjust(w) if i in right else v.ljust(w) for i, (v, w) in enumerate(zip(values, widths, strict=True))]
        return "  ".join(parts).rstrip()

    out = ["Half-year rates, annual % (packaged table and relancegit.yaml `rates:`):", line(header)]
    out += [line(c) for c in cells]
    out.append("")
    if not report.missing:
        out.append(f"Nothing missing: every half-year the penalty interest needs up to {report.today} is known.")
        return "\n".join(out)
    for m in report.missing:
        count = len(m.cases)
        shown = ", ".join(m.cases[:5]) + (f" and {count - 5} more" if count > 5 else "")
        out.append(
            f"Missing {m.period} ({', '.join(m.fields)}): needed for the penalty interest of "
            f"{count} case{'s' if count > 1 else ''} up to {report.today} ({shown})."
        )
    where = "to the `rates:` list" if report.ledger_has_rates else "at the top level"
    out += [
        "",
        f"Add {where} in {config_path}, replacing each `{PLACEHOLDER}` with the published figure",
        "(ECB main refinancing rate in force on 1 January / 1 July; legal interest rate set by",
        "arrêté in the Journal officiel; see docs/legal-fr.md, 'Adding a half-year'):",
        "",
        *report.yaml_lines(),
    ]
    return "\n".join(out)
