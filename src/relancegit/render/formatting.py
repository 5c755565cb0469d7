"""Money and dates for people, in French or English, from CLDR data (babel).

Layer: presentation helpers shared by the text views and the letters. French amounts read
`1 500,00 €` with a narrow no-break space (U+202F) between thousands and a no-break space
(U+00A0) before the euro sign (French typography, CLDR); dates read `15 novembre 2026`
in letters and `15/11/2026` in tables. Amounts are rounded half-up to the cent first, as
the ledger does, rather than babel's half-even.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from babel.dates import format_date
from babel.numbers import format_currency

CENT = Decimal("0.01")
NNBSP = "\u202f"  # narrow no-break space: French thousands separator
NBSP = "\u00a0"  # no-break space: before the currency sign in French
LOCALES = {"fr": "fr_FR", "en": "en_GB"}


def _locale(language: str) -> str:
    return LOCALES.get(language, language)


def cents(amount: Decimal) -> Decimal:
    """Round half-up to the cent: the one rounding rule for money shown to people."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP) + 0  # + 0 turns -0.00 into 0.00


def money(amount: Decimal, currency: str = "EUR", language: str = "fr") -> str:
    """`1 500,00 €` in French, `€1,500.00` in English.

    The layout (symbol, separators, signs) comes from CLDR through babel, read once per
    locale and currency (`_layout`); applying it is then a string format, so a dashboard
    with 100,000 amounts does not pay babel's pattern engine 100,000 times.
    """
    layout = _layout(currency, language)
    if layout is None:
        return _money_babel(amount, currency, language)
    value = cents(amount)
    prefix, suffix, group, decimal, neg_prefix, neg_suffix = layout
    body = f"{abs(value):,.2f}".replace(",", "\0").replace(".", decimal).replace("\0", group)
    return f"{neg_prefix}{body}{neg_suffix}" if value < 0 else f"{prefix}{body}{suffix}"


def _money_babel(amount: Decimal, currency: str, language: str) -> str:
    text = format_currency(cents(amount), currency, locale=_locale(language))
    if language == "fr":
        # CLDR already gives U+202F and U+00A0; normalise older data that used U+00A0 for both.
        whole, sep, rest = text.rpartition(",")
        text = whole.replace(NBSP, NNBSP).replace(" ", NNBSP) + sep + rest.replace(" ", NBSP)
    return text


_SAMPLE = Decimal("1234567.89")


@lru_cache(maxsize=64)
def _layout(currency: str, language: str) -> tuple[str, str, str, str, str, str] | None:
    """(prefix, suffix, group, decimal, negative prefix, negative suffix) for a locale, or None
    when its pattern is not "grouped by three, two decimals" (then babel formats each amount)."""
    parts = []
    for sample in (_SAMPLE, -_SAMPLE):
        text = _money_babel(sample, currency, language)
        digits = [i for i, char in enumerate(text) if char.isdigit()]
        if not digits:
            return None
        first, last = digits[0], digits[-1]
        parts.append((text[:first], text[last + 1 :], text[first : last + 1]))
    (prefix, suffix, body), (neg_prefix, neg_suffix, neg_body) = parts
    if len(body) != 12 or body != neg_body:  # "1 234 567,89": groups of three, two decimals
        return None
    group, decimal = body[1], body[-3]
    if f"{_SAMPLE:,.2f}".replace(",", "\0").replace(".", decimal).replace("\0", group) != body:
        return None
    return prefix, suffix, group, decimal, neg_prefix, neg_suffix


@lru_cache(maxsize=8192)  # letters and pages repeat the same few hundred dates
def date_long(day: date, language: str = "fr") -> str:
    """`15 novembre 2026`, `1er novembre 2026` (French ordinal for the first), `15 November 2026`."""
    if language == "fr":
        text = format_date(day, "d MMMM y", locale="fr_FR")
        return "1er" + text[1:] if day.day == 1 else text
    return format_date(day, "d MMMM y", locale=_locale(language))


def date_short(day: date, language: str = "fr") -> str:
    """`15/11/2026` (both languages here use day/month/year)."""
    return day.strftime("%d/%m/%Y")


def day_month(day: date) -> str:
    """`16/10`: the short form used in reasons ("promesse du 16/10 non tenue")."""
    return day.strftime("%d/%m")


def amount_json(amount: Decimal) -> str:
    """Amounts in JSON: a string with exactly two decimals (`"1500.00"`)."""
    return f"{cents(amount):.2f}"


def phone_international(number: str) -> str:
    """A French national number in international form for readers abroad: `01 99 00 12 40`
    becomes `+33 1 99 00 12 40`; any other number is returned as it is."""
    digits = "".join(char for char in number if char.isdigit())
    if len(digits) == 10 and digits[0] == "0" and number.strip()[0] == "0":
        rest = digits[1:]
        return "+33 " + " ".join([rest[0], *(rest[i : i + 2] for i in range(1, 9, 2))])
    return number
