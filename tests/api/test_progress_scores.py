"""Progress pages show what the last tier review judged (behavior, the four signals, the classification),
read from the partner rows the review stored, not rescored per request. SQLite and Postgres."""

from __future__ import annotations

from datetime import timedelta

from temporalio.testing import ActivityEnvironment

from activities.tier_review_inputs import ReviewOpen, ReviewPage
from activities.tier_reviews import TierReviewActivities
from db.repositories import partner_facts
from db.session import SessionFactory, transaction
from domain.intel.assess import assess
from mail.render import EmailRenderer
from tests.api.helpers import api_client
from tests.api.test_export_progress import parsed
from tests.api.test_progress_pages import NO_TEMPORAL, T0, recorded
from tests.deal_data import program_id
from tests.factories import settings_for
from wiring import make_sender, make_signer

SCORES = ("behavior", "gtm_readiness", "proven_capability", "early_traction", "field_advocacy")
AS_OF = T0 + timedelta(days=20)


async def review(sessions: SessionFactory) -> None:
    """One tier review of the program, through its activities."""
    settings = settings_for(sessions)
    acts = TierReviewActivities(sessions, make_sender(settings), make_signer(settings), EmailRenderer(), settings)
    env, program = ActivityEnvironment(), await program_id(sessions)
    opened = await env.run(acts.open_tier_review, ReviewOpen(program_id=program, period="2026-11", now=AS_OF))
    page = ReviewPage(review_id=opened.review_id, program_id=program, as_of=opened.as_of, limit=500)
    assert (await env.run(acts.review_tier_page, page)).reviewed > 0


async def test_partner_pages_progress_and_export_show_the_reviews_scores(sessions: SessionFactory) -> None:
    cohort_id = await recorded(sessions)
    async with api_client(settings_for(sessions), NO_TEMPORAL) as api:
        before = (await api.get(f"/api/v1/cohorts/{cohort_id}/partners", params={"limit": 1000})).json()["items"]
        await review(sessions)
        pages = (await api.get(f"/api/v1/cohorts/{cohort_id}/partners", params={"limit": 2})).json()["items"]
        listed = (await api.get(f"/api/v1/cohorts/{cohort_id}/partners", params={"limit": 1000})).json()["items"]
        whole = (await api.get(f"/api/v1/cohorts/{cohort_id}/progress")).json()["partners"]
        exported = parsed((await api.get(f"/api/v1/cohorts/{cohort_id}/export/progress.csv")).content)
    assert all(p[k] is None for p in before for k in (*SCORES, "classification", "scored_at"))
    async with transaction(sessions) as session:
        facts = await partner_facts.load_many(session, [p["partner_id"] for p in listed])
    for row in listed:
        judged = assess(facts[row["partner_id"]], AS_OF)
        assert {k: row[k] for k in SCORES} == {k: judged.values[k] for k in SCORES}, row["name"]
        assert row["classification"] == judged.classification.label and row["scored_at"].startswith("2026-11-22")
    assert {p["status"] for p in listed} >= {"not_started", "waiting"}  # scored with or without a journey
    assert pages == listed[:2]
    assert sorted(whole, key=lambda p: p["partner_id"]) == sorted(listed, key=lambda p: p["partner_id"])
    by_id = {r["partner_id"]: r for r in exported}
    assert all(by_id[p["partner_id"]]["classification"] == p["classification"] for p in listed)
    assert all(by_id[p["partner_id"]]["behavior"] == str(p["behavior"]) for p in listed)
