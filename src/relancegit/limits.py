"""The ranges ledger values must stay within, so that no computation overflows.

Layer: constants and one small helper, light enough for the CLI's fast path (no pydantic).
A date far outside these years is a typo; the engine adds years to dates (prescription,
pauses) and multiplies amounts by rates and days (penalty interest), which must stay within
`date`'s range and `Decimal`'s default 28-digit precision.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

FIRST_DATE = date(1900, 1, 1)
LAST_DATE = date(2199, 12, 31)
MAX_AMOUNT = Decimal("1000000000000")  # amounts are below 10^12: at most 12 digits before the point
MAX_PERCENT = Decimal("100")  # rates (ECB, legal, fixed penalty rate, ECB margin), in percent
MAX_DAYS = 3660  # day counts and step offsets of a policy: about ten years
MAX_FILE_BYTES = 10 * 1024 * 1024  # one ledger file; the largest real case file is a few KiB


def date_out_of_range(day: date) -> str | None:
    """Why `day` is outside the dates a ledger may hold, or None when it is inside."""
    if FIRST_DATE <= day <= LAST_DATE:
        return None
    return f"date {day.isoformat()} is out of range: expected {FIRST_DATE.isoformat()} to {LAST_DATE.isoformat()}"
