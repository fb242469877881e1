"""A program's own tier rubric: refused with line numbers when wrong, then used by reviews and signals."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import select
from temporalio.testing import ActivityEnvironment, WorkflowEnvironment

from activities.tier_review_inputs import ReviewOpen, ReviewPage
from activities.tier_reviews import TierReviewActivities
from db.models import Partner
from db.session import SessionFactory, transaction
from domain.intel.rubric import DEFAULT_RUBRIC
from mail.render import EmailRenderer
from tests.api.helpers import api_client
from tests.deal_data import program_id
from tests.factories import settings_for
from tests.workflows.test_tier_review import three_partners
from worker import make_sender, make_signer

DEFAULT = DEFAULT_RUBRIC.read_text()
# Emerging asks for proven capability 40 instead of 25: the steady partner (35) no longer earns it.
STRICT = DEFAULT.replace("id: default", "id: strict").replace("        min: 25\n", "        min: 40\n")


async def tiers(sessions: SessionFactory) -> dict[str, int]:
    async with transaction(sessions) as session:
        return {p.id: p.tier for p in await session.scalars(select(Partner))}


async def test_a_programs_rubric_is_validated_then_judges_its_partners(
    ts_env: WorkflowEnvironment, sessions: SessionFactory
) -> None:
    now = await ts_env.get_current_time()
    ids = await three_partners(sessions, now)
    program = await program_id(sessions)
    settings = settings_for(sessions)
    async with api_client(settings, ts_env.client) as client:
        url = f"/api/v1/programs/{program}/rubric"
        bad = await client.put(url, content=DEFAULT.replace("        min: 25\n", "        min: 125\n"))
        line = DEFAULT.splitlines().index("        min: 25") + 1
        assert bad.status_code == 422, bad.text
        problems = {p["path"]: p for p in bad.json()["detail"]}
        problem = problems["tiers[0].criteria[1].min"]
        assert problem["line"] == line and problem["message"] == "Input should be less than or equal to 100"
        assert problem["text"] == f"rubric.yaml:{line}: tiers[0].criteria[1].min: {problem['message']}"
        assert (await client.get(url)).json()["source"] == "default"

        stored = await client.put(url, content=STRICT)
        assert stored.status_code == 200 and stored.json()["rubric"]["id"] == "strict", stored.text
        signals = (await client.get(f"/api/v1/partners/{ids['steady']}/signals")).json()
        assert (signals["tier"]["tier"], signals["tier"]["rubric"]) == (3, "strict v1")
        assert [(g["signal"], g["min"]) for g in signals["tier"]["needed"]] == [("proven_capability", 40)]

        acts = TierReviewActivities(sessions, make_sender(settings), make_signer(settings), EmailRenderer(), settings)
        env = ActivityEnvironment(client=ts_env.client)
        opened = await env.run(acts.open_tier_review, ReviewOpen(program_id=program, period="2026-11", now=now))
        page = ReviewPage(review_id=opened.review_id, program_id=program, as_of=opened.as_of, limit=10)
        await env.run(acts.review_tier_page, page)
        assert (await tiers(sessions))[ids["steady"]] == 3  # the strict rubric keeps it at Baseline

        reset = await client.delete(url)
        assert reset.status_code == 200 and reset.json()["source"] == "default"
        later = ReviewOpen(program_id=program, period="2026-12", now=now + timedelta(minutes=1))
        opened = await env.run(acts.open_tier_review, later)
        page = ReviewPage(review_id=opened.review_id, program_id=program, as_of=opened.as_of, limit=10)
        await env.run(acts.review_tier_page, page)
        assert (await tiers(sessions))[ids["steady"]] == 2  # the default promotes it
        assert (await client.get("/api/v1/programs/nope/rubric")).status_code == 404


def test_the_default_rubric_file_is_what_get_returns() -> None:
    assert Path(DEFAULT_RUBRIC).read_text() == DEFAULT
