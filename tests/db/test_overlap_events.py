"""Overlap a write creates is noted for the partner's running journeys (told after the commit): an upload
with matches, and a vendor import whose rematch gives a partner its first overlap. SQLite only: the reads
and writes are the matcher's, tested on both databases in test_account_matching."""

from __future__ import annotations

from datetime import UTC, datetime

from db.cosell_models import VendorAccount
from db.models import Journey
from db.repositories import accounts as repo
from db.repositories import partner_events
from db.session import SessionFactory, transaction
from domain.account_lists import ParsedAccount
from domain.accounts import name_key
from tests.factories import create_cohort, partner
from tests.intro_data import seed_crm
from tests.workflows.helpers import partner_ids
from workflows.journey.messages import journey_id

NORTHWIND = ParsedAccount(line=2, name="Northwind Components", domain="northwindcomponents.com")
NOBODY = ParsedAccount(line=2, name="Nobody We Sell To", domain="nobody-we-sell-to.example")


async def running_journeys(sessions: SessionFactory, *names: str) -> dict[str, str]:
    """Partner name -> its running journey's id."""
    cohort = await create_cohort(sessions, [partner(n) for n in names])
    now = datetime.now(UTC)
    async with transaction(sessions) as session:
        journeys = {}
        for name, partner_id in zip(names, await partner_ids(sessions, cohort.id), strict=True):
            jid = journey_id(cohort.id, partner_id)
            session.add(
                Journey(
                    id=jid, cohort_id=cohort.id, partner_id=partner_id, stage="activation", status="waiting",
                    started_at=now, updated_at=now,
                )
            )  # fmt: skip
            journeys[name] = jid
    return journeys


async def test_an_upload_with_overlap_is_noted_and_one_without_is_not(sqlite_sessions: SessionFactory) -> None:
    await seed_crm(sqlite_sessions)
    journeys = await running_journeys(sqlite_sessions, "Alpha Analytics", "Beta Builders")
    partner_of = {jid: jid.rsplit("/", 1)[1] for jid in journeys.values()}
    async with transaction(sqlite_sessions) as session:
        assert await repo.replace_partner_accounts(session, partner_of[journeys["Alpha Analytics"]], [NORTHWIND]) == 1
        assert await repo.replace_partner_accounts(session, partner_of[journeys["Beta Builders"]], [NOBODY]) == 0
        told = partner_events.pending(session)
    [(jid, event)] = told
    assert jid == journeys["Alpha Analytics"] and event.kind == "overlap_found"
    assert event.id.startswith(f"overlap_found/{partner_of[jid]}@")


async def test_a_vendor_import_notes_only_partners_it_gives_their_first_overlap(
    sqlite_sessions: SessionFactory,
) -> None:
    crm = await seed_crm(sqlite_sessions)
    journeys = await running_journeys(sqlite_sessions, "Alpha Analytics", "Beta Builders")
    alpha, beta = (journeys[n].rsplit("/", 1)[1] for n in ("Alpha Analytics", "Beta Builders"))
    async with transaction(sqlite_sessions) as session:
        await repo.replace_partner_accounts(session, alpha, [NORTHWIND])  # overlap already
        await repo.replace_partner_accounts(session, beta, [NOBODY])
        partner_events.pending(session)
    async with transaction(sqlite_sessions) as session:  # the vendor's CRM now has Beta's account too
        name = NOBODY.name
        session.add(
            VendorAccount(
                id="va-nobody", crm_id="0015e00000NoBdyA", source="salesforce", name=name, name_key=name_key(name),
                domain=NOBODY.domain, owner_ae_id=crm.ae_ids["dana"], segment="Commercial",
            )
        )  # fmt: skip
        await session.flush()
        await repo.rematch_all(session)
        told = partner_events.pending(session)
    assert [(jid, event.kind) for jid, event in told] == [(journeys["Beta Builders"], "overlap_found")]
