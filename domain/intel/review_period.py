"""When a program's tier review runs, and which period a moment belongs to.

A review is idempotent per program and period: the period is the review's identity, so a schedule
firing twice, a PM triggering one "now" after the scheduled one, or a restarted worker all land on
the same review and record each movement once. Periods are named in UTC:

| cadence   | runs (cron, UTC)             | period of 2026-12-03 |
| --------- | ---------------------------- | -------------------- |
| weekly    | Mondays 06:00                | 2026-W49 (ISO week)  |
| monthly   | the 1st, 06:00 (the default) | 2026-12              |
| quarterly | 1 Jan/Apr/Jul/Oct, 06:00     | 2026-Q4              |
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Literal, get_args

Cadence = Literal["weekly", "monthly", "quarterly"]
CADENCES: tuple[str, ...] = get_args(Cadence)
DEFAULT_CADENCE: Cadence = "monthly"
CRON: dict[str, str] = {"weekly": "0 6 * * 1", "monthly": "0 6 1 * *", "quarterly": "0 6 1 1,4,7,10 *"}
PERIOD = re.compile(r"^\d{4}-(W(0[1-9]|[1-4]\d|5[0-3])|Q[1-4]|(0[1-9]|1[0-2]))$")


def period_of(cadence: str, moment: datetime) -> str:
    at = moment.astimezone(UTC)
    if cadence == "weekly":
        year, week, _ = at.isocalendar()
        return f"{year}-W{week:02d}"
    if cadence == "quarterly":
        return f"{at.year}-Q{(at.month - 1) // 3 + 1}"
    if cadence == "monthly":
        return f"{at.year}-{at.month:02d}"
    raise ValueError(f"unknown tier review cadence {cadence!r}; one of {', '.join(CADENCES)}")


def review_id(program_id: str, period: str) -> str:
    return f"{program_id}/{period}"
