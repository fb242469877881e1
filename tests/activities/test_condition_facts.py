"""What a `when:` condition reads at run time: the partner's stored classification, the segments of its
overlap, its deals and its signals (scored only when a condition reads them)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from activities.conditions import condition_facts
from db.models import Partner
from db.repositories import partner_facts
from db.session import SessionFactory, transaction
from domain.intel.assess import assess
from playbooks.conditions import evaluate
from tests.intel_data import DAY, START, Pace, deal, partner
from tests.intel_db import store
from tests.intro_data import overlap, seed_crm

AS_OF = START + 40 * DAY


async def _seeded(sessions: SessionFactory) -> str:
    deals = (
        deal(1, "closed_won", START + 20 * DAY, START + 35 * DAY),
        deal(2, "registered", START + 30 * DAY, START + 30 * DAY),
        deal(3, "rejected", START + 31 * DAY, START + 32 * DAY),
    )
    pid = await store(sessions, partner("condition-facts", Pace(), AS_OF, deals=deals), timedelta(0), tier=2)
    crm = await seed_crm(sessions)
    await overlap(sessions, crm, pid, "Contoso Pharmaceuticals", "Fabrikam Logistics", "Northwind Components")
    async with transaction(sessions) as session:
        await session.execute(update(Partner).where(Partner.id == pid).values(classification="not_yet"))
    return pid


async def test_scored_facts_hold_deals_signals_segments_and_classification(sessions: SessionFactory) -> None:
    pid = await _seeded(sessions)
    async with transaction(sessions) as session:
        plain = await condition_facts(session, "no-journey", pid)
        facts = await condition_facts(session, "no-journey", pid, scored=True, as_of=AS_OF)
        record = await partner_facts.load_one(session, pid)
    assert "deals" not in plain and "signals" not in plain  # not scored unless a condition reads them
    assert facts["partner"]["classification"] == "not_yet" and facts["partner"]["tier"] == 2
    assert facts["overlap"] == {"count": 3, "segments": ["Enterprise", "Mid-Market"]}
    assert facts["deals"] == {"registered": 2, "accepted": 1, "won": 1}
    assert record is not None
    judged = assess(record, AS_OF)
    assert facts["signals"] == {**judged.values, "trust": judged.trust.value}
    assert facts["signals"]["early_traction"] > 0  # a won deal is traction
    assert evaluate('deals.won >= 1 && "Enterprise" in overlap.segments', facts)
    assert evaluate("signals.early_traction > 0", facts)
    assert not evaluate('partner.classification == "on_track"', facts)
