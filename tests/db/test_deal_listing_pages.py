"""The Deals page's keyset pages (db.repositories.deals.listing, newest first, before the previous page's last
deal): every deal once, in order, even when two were registered at the same instant; limited to the viewer's
programs and the source asked for. On both databases: the row-value comparison is SQL each answers itself."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from db.cosell_models import Deal
from db.repositories import deals as repo
from db.session import SessionFactory, transaction
from tests.dashboard_data import member_ids
from tests.deal_data import program_id
from tests.factories import create_cohort, partner

pytestmark = pytest.mark.timeout(60)
AT = datetime(2026, 11, 2, 9, tzinfo=UTC)


async def test_keyset_pages_list_each_deal_once_newest_first(sessions: SessionFactory) -> None:
    cohort = await create_cohort(sessions, [partner(f"P{i}") for i in range(5)], program="Program A")
    other = await create_cohort(sessions, [partner("Elsewhere")], program="Program B", name="Other")
    a, b = await program_id(sessions, "Program A"), await program_id(sessions, "Program B")
    people = await member_ids(sessions, cohort.id)
    async with transaction(sessions) as session:
        # Two registrations share an instant (the tie is broken by id); one is the CRM's, one another program's.
        times = [AT, AT + timedelta(hours=1), AT + timedelta(hours=1), AT + timedelta(hours=2), AT + timedelta(hours=3)]
        for n, (pid, at) in enumerate(zip(people, times, strict=True)):
            reg = repo.Registration(program_id=a, partner_id=pid, account_name=f"Account {n}", partner_role="sourced",
                                    source="crm" if n == 3 else "pm", actor="pm", at=at)  # fmt: skip
            await repo.register(session, reg)
        [elsewhere] = await member_ids(sessions, other.id)
        reg = repo.Registration(program_id=b, partner_id=elsewhere, account_name="Account B", partner_role="sourced",
                                source="pm", actor="pm", at=AT + timedelta(hours=9))  # fmt: skip
        await repo.register(session, reg)

    async def pages(size: int, **filters: object) -> list[list[Deal]]:
        found, before = [], None
        async with transaction(sessions) as session:
            while page := await repo.listing(session, limit=size, newest_first=True, before=before, **filters):  # type: ignore[arg-type]
                found.append(page)
                before = page[-1]
        return found

    mine = await pages(2, program_ids={a})
    assert [len(p) for p in mine] == [2, 2, 1]
    flat = [d for p in mine for d in p]
    assert [d.account_name for d in flat][0] == "Account 4" and flat[-1].account_name == "Account 0"
    assert [(d.registered_at, d.id) for d in flat] == sorted(((d.registered_at, d.id) for d in flat), reverse=True)
    assert {d.account_name for d in flat} == {f"Account {n}" for n in range(5)}
    assert [d.account_name for p in await pages(10, program_ids={a}, source="crm") for d in p] == ["Account 3"]
    assert [d.account_name for p in await pages(10, program_ids=set()) for d in p] == []
    assert len([d for p in await pages(3) for d in p]) == 6
