"""Money formatting: the fast path gives exactly what babel (CLDR) gives, and the French form."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relancegit.render.formatting import _layout, _money_babel, money

LOCALES = [("EUR", "fr"), ("EUR", "en"), ("USD", "fr"), ("GBP", "en"), ("CHF", "fr"), ("JPY", "fr")]


@settings(max_examples=300, deadline=None)
@given(
    st.decimals(min_value=Decimal("-1e12"), max_value=Decimal("1e12"), places=3, allow_nan=False),
    st.sampled_from(LOCALES),
)
def test_fast_path_equals_babel(amount: Decimal, locale: tuple[str, str]):
    currency, language = locale
    assert money(amount, currency, language) == _money_babel(amount, currency, language)


@pytest.mark.parametrize(
    ("amount", "currency", "language", "expected"),
    [
        ("1500", "EUR", "fr", "1\u202f500,00\u00a0€"),  # LEGAL-FR.md: U+202F thousands, U+00A0 before €
        ("1234567.891", "EUR", "fr", "1\u202f234\u202f567,89\u00a0€"),
        ("0.005", "EUR", "fr", "0,01\u00a0€"),  # half-up to the cent
        ("-40", "EUR", "fr", "-40,00\u00a0€"),
        ("1500", "EUR", "en", "€1,500.00"),
        ("1500", "JPY", "fr", "1\u202f500\u00a0JPY"),  # no cents: babel formats it
    ],
)
def test_worked_examples(amount: str, currency: str, language: str, expected: str):
    assert money(Decimal(amount), currency, language) == expected


def test_currencies_without_two_decimals_use_babel():
    assert _layout("JPY", "fr") is None
    assert _layout("EUR", "fr") is not None
