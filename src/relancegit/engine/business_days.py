"""Business days: weekends and public holidays from the maintained `holidays` library.

Layer: pure date arithmetic used by the engine (docs/engine.md). The ledger's `holidays`
setting is a country code (`FR`), optionally with a subdivision (`FR-57` for Moselle, which
adds Good Friday and 26 December). Holiday sets are cached per (code, year): computing the
next business day for 10,000 cases builds each year's set once.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache

import holidays

from relancegit.problems import RelancegitError

ONE_DAY = timedelta(days=1)
SATURDAY = 5


class UnknownHolidays(RelancegitError):
    """The ledger's `holidays` code names no country (or subdivision) the library knows."""


def _split(code: str) -> tuple[str, str | None]:
    country, _, subdivision = code.upper().partition("-")
    return country, subdivision or None


@cache
def holiday_dates(code: str, year: int) -> frozenset[date]:
    """The public holidays of `year` for a code such as `FR` or `FR-57`."""
    country, subdivision = _split(code)
    try:
        found = holidays.country_holidays(country, subdiv=subdivision, years=year)
    except NotImplementedError:
        raise UnknownHolidays(
            f"unknown holidays country '{code}' in relancegit.yaml (for example: FR, FR-57)"
        ) from None
    return frozenset(found.keys())


def is_business_day(day: date, code: str = "FR") -> bool:
    return day.weekday() < SATURDAY and day not in holiday_dates(code, day.year)


def next_business_day(day: date, code: str = "FR") -> date:
    """`day` itself when it is a business day, else the first business day after it."""
    while not is_business_day(day, code):
        day += ONE_DAY
    return day
