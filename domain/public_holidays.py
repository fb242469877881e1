"""Public holidays of a partner's country, from the `holidays` package (pure data, no I/O).

A journey does not read this module: the activity that loads a journey's context records the dates, so a
new release of the package (a holiday added or moved) never changes what a running journey replays.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from functools import cache

import holidays


@cache
def supported_countries() -> frozenset[str]:
    # The library also lists alpha-3 aliases (COL, DEU); a partner's country is stored as alpha-2.
    return frozenset(code for code in holidays.list_supported_countries() if len(code) == 2)


def normalize_country(value: str | None) -> str | None:
    """An ISO 3166-1 alpha-2 code the calendar knows, upper-cased; None for blank or unknown."""
    code = (value or "").strip().upper()
    return code if code in supported_countries() else None


def public_holidays(country: str | None, years: Iterable[int]) -> list[date]:
    """The national public holidays of `country` in `years`, sorted; none for no or an unknown country."""
    code = normalize_country(country)
    if code is None:
        return []
    return sorted(holidays.country_holidays(code, years=list(years)).keys())
