"""Request field types whose OpenAPI schema states exactly what the API accepts.

The input models trim surrounding whitespace (str_strip_whitespace), which happens before any check.
So the published patterns allow that whitespace around a value and name their character classes
explicitly: `\\s` means different sets in pydantic's Rust regex, Python's `re` and ECMA-262 (what
OpenAPI clients use), and a fuzzer finds every character where they disagree.
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import cache
from typing import Annotated, Any
from zoneinfo import available_timezones

from pydantic import AfterValidator, BeforeValidator, Field, WithJsonSchema

# What the trim removes (Unicode White_Space, as pydantic's Rust str::trim), and what no name or address contains.
WHITE_SPACE = (
    "\t\n\x0b\x0c\r \x85\xa0\u1680" + "".join(map(chr, range(0x2000, 0x200B))) + "\u2028\u2029\u202f\u205f\u3000"
)
TRIMMED = r"\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_NEVER = rf"@{TRIMMED}\x00-\x1f\x7f-\x9f\ufeff"
_EMAIL = rf"[^{_NEVER}]+@[^{_NEVER}]+\.[^{_NEVER}]+"
EMAIL = re.compile(rf"^{_EMAIL}$")
EMAIL_PATTERN = rf"^[{TRIMMED}]*{_EMAIL}[{TRIMMED}]*$"
# Postgres cannot store a NUL character in text, so no text field accepts one (422, not a 500).
NO_NUL = r"^[^\x00]*$"
NOT_BLANK = rf"^[^\x00]*[^{TRIMMED}\x00][^\x00]*$"
Line = Annotated[str, Field(pattern=NO_NUL)]


def _email(value: str) -> str:
    value = value.strip(WHITE_SPACE)  # whatever the model's own setting
    if not EMAIL.fullmatch(value):
        raise ValueError("must be an email address like name@company.com")
    return value.lower()


Email = Annotated[
    str,
    AfterValidator(_email),
    WithJsonSchema({"type": "string", "pattern": EMAIL_PATTERN, "maxLength": 320, "examples": ["ana@partner.com"]}),
    Field(max_length=320),
]


def Text(max_length: int, min_length: int = 1, **extra: Any) -> Any:  # noqa: N802 - used like a type
    """Text that is not blank once trimmed, at most `max_length` characters."""
    return Field(min_length=min_length, max_length=max_length, pattern=NOT_BLANK, **extra)


def Plain(default: Any = ..., max_length: int | None = None, **extra: Any) -> Any:  # noqa: N802 - used like a type
    """Optional or free text: anything but a NUL character."""
    return Field(default, max_length=max_length, pattern=NO_NUL, **extra)


# pydantic also reads numbers ("0.5") and bare dates as date-times; the schema's date-time is RFC 3339.
_RFC3339_START = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}")


def _rfc3339(value: Any) -> Any:
    if not isinstance(value, datetime) and not (isinstance(value, str) and _RFC3339_START.match(value)):
        raise ValueError("must be a date-time like 2026-12-01T09:00:00Z")
    return value


Moment = Annotated[datetime, BeforeValidator(_rfc3339)]


@cache
def time_zones() -> tuple[str, ...]:
    return tuple(sorted(available_timezones()))


def _time_zone(value: str) -> str:
    if value not in time_zones():
        raise ValueError(f"unknown time zone {value!r}; use an IANA name like Europe/Berlin")
    return value


TimeZone = Annotated[
    str,
    AfterValidator(_time_zone),
    WithJsonSchema({"type": "string", "enum": list(time_zones()), "description": "an IANA time zone"}),
]
