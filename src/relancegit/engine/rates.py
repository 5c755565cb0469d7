"""The half-year rate table: shipped figures (data/rates.yaml) plus the ledger's `rates:` rows.

Layer: data lookup, no computation of interest. An unknown half-year answers None: callers
report it (`missing_rates`) and never fall back to 0 or to the last known rate.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from importlib import resources

import yaml

from relancegit.model import Config, RateRow


def period_of(day: date) -> str:
    """The half-year a day falls in, as written in the table: `2026-H2`."""
    return f"{day.year}-H{1 if day.month <= 6 else 2}"


@dataclass(frozen=True)
class HalfYearRates:
    ecb: Decimal | None = None
    legal_other: Decimal | None = None
    legal_private: Decimal | None = None


@cache
def shipped_rows() -> tuple[RateRow, ...]:
    text = resources.files("relancegit").joinpath("data/rates.yaml").read_text("utf-8")
    rows = yaml.load(text, Loader=yaml.CSafeLoader)
    return tuple(RateRow.model_validate({k: str(v) if k != "period" else v for k, v in r.items()}) for r in rows)


class RateTable:
    """Rates by half-year; ledger rows override the shipped ones field by field."""

    def __init__(self, rows: Iterable[RateRow]) -> None:
        self._rates: dict[str, HalfYearRates] = {}
        for row in rows:
            old = self._rates.get(row.period, HalfYearRates())
            self._rates[row.period] = HalfYearRates(
                ecb=row.ecb if row.ecb is not None else old.ecb,
                legal_other=row.legal_other if row.legal_other is not None else old.legal_other,
                legal_private=row.legal_private if row.legal_private is not None else old.legal_private,
            )

    @classmethod
    def for_config(cls, config: Config) -> RateTable:
        return cls((*shipped_rows(), *config.rates))

    def get(self, period: str) -> HalfYearRates:
        return self._rates.get(period, HalfYearRates())

    def ecb(self, day: date) -> Decimal | None:
        """ECB rate applying to `day`: the one in force on 1 January or 1 July (L441-10)."""
        return self.get(period_of(day)).ecb

    def legal_other(self, day: date) -> Decimal | None:
        return self.get(period_of(day)).legal_other

    def legal_private(self, day: date) -> Decimal | None:
        return self.get(period_of(day)).legal_private

    def periods(self) -> list[str]:
        return sorted(self._rates)
