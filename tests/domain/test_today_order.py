"""The property db/views/today.py relies on to read only each kind's longest-waiting items per tier."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.intel.today import KINDS, Who, item, order

pytestmark = pytest.mark.timeout(30)
AS_OF = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_within_a_kind_and_tier_waiting_longer_never_ranks_lower(kind: str) -> None:
    for tier in (1, 2, 3):
        waits = [timedelta(hours=h) for h in range(0, 24 * 120, 7)]
        items = [item(kind, Who(f"p{n:04d}", "", tier), "", "", AS_OF - w, AS_OF) for n, w in enumerate(waits)]
        by_rank = sorted(items, key=order)
        by_wait = sorted(items, key=lambda i: (i.since, i.partner_id))
        assert by_rank == by_wait, kind
        assert by_rank[0].rank > by_rank[-1].rank  # the order is not flat: urgency grows with the wait
