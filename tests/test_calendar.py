"""Business days: weekends and French public holidays, from the holidays library."""

from __future__ import annotations

from datetime import date

import pytest

from relancegit.engine.business_days import UnknownHolidays, holiday_dates, is_business_day, next_business_day


def test_armistice_day_moves_to_the_next_day() -> None:
    # 2026-11-11 is a Wednesday and a public holiday (Code du travail L3133-1).
    assert not is_business_day(date(2026, 11, 11))
    assert next_business_day(date(2026, 11, 11)) == date(2026, 11, 12)


def test_weekend_moves_to_monday() -> None:
    assert next_business_day(date(2026, 11, 21)) == date(2026, 11, 23)  # Saturday
    assert next_business_day(date(2026, 11, 22)) == date(2026, 11, 23)  # Sunday
    assert next_business_day(date(2026, 11, 23)) == date(2026, 11, 23)  # a Monday stays


def test_christmas_friday_then_weekend() -> None:
    # 2026-12-25 is a Friday: Fri (holiday), Sat, Sun -> Mon 28.
    assert next_business_day(date(2026, 12, 25)) == date(2026, 12, 28)


def test_holidays_of_2026_match_legal_fr() -> None:
    # LEGAL-FR.md: Easter Monday 6 April, Ascension 14 May, Whit Monday 25 May 2026.
    days = holiday_dates("FR", 2026)
    assert {date(2026, 4, 6), date(2026, 5, 14), date(2026, 5, 25), date(2026, 11, 1)} <= days
    assert date(2026, 4, 3) not in days  # Good Friday: Alsace-Moselle only


def test_alsace_moselle_subdivision_adds_good_friday() -> None:
    # FR-57: Good Friday 2026-04-03, then the weekend, then Easter Monday -> Tuesday 7 April.
    assert next_business_day(date(2026, 4, 3), "FR") == date(2026, 4, 3)
    assert next_business_day(date(2026, 4, 3), "FR-57") == date(2026, 4, 7)


def test_unknown_country_is_a_clear_error() -> None:
    with pytest.raises(UnknownHolidays, match="unknown holidays country 'XX'"):
        next_business_day(date(2026, 11, 21), "XX")
