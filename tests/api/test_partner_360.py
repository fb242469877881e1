"""GET /api/v1/partners/{id}/360: one partner with everything recorded about it, each score explained."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import update
from temporalio.testing import ActivityEnvironment, WorkflowEnvironment

import cli
from activities.tier_review_inputs import ReviewOpen, ReviewPage
from activities.tier_reviews import TierReviewActivities
from db.models import Partner
from db.session import SessionFactory, transaction
from mail.render import EmailRenderer
from tests.api.helpers import api_client
from tests.api.test_partner_signals import DAY, ICP, T0, recorded
from tests.deal_data import program_id
from tests.factories import settings_for
from wiring import make_sender, make_signer


async def demoted_at_a_review(sessions: SessionFactory, pid: str) -> str:
    """The PM had typed Tier 2 at import; the 2026-10 review (at T0 + 14 days) moves the partner to 3."""
    async with transaction(sessions) as session:
        await session.execute(update(Partner).where(Partner.id == pid).values(tier=2))
    settings = settings_for(sessions)
    acts = TierReviewActivities(sessions, make_sender(settings), make_signer(settings), EmailRenderer(), settings)
    env, program = ActivityEnvironment(), await program_id(sessions)
    opened = await env.run(acts.open_tier_review, ReviewOpen(program_id=program, period="2026-10", now=T0 + 14 * DAY))
    page = ReviewPage(review_id=opened.review_id, program_id=program, as_of=opened.as_of, limit=100)
    assert (await env.run(acts.review_tier_page, page)).moved == 1
    return opened.review_id


async def test_partner_360_holds_everything_with_explanations(
    ts_env: WorkflowEnvironment, sessions: SessionFactory
) -> None:
    cohort_id, pid = await recorded(sessions)
    review_id = await demoted_at_a_review(sessions, pid)
    as_of = (T0 + 14 * DAY).isoformat()
    async with api_client(settings_for(sessions), ts_env.client) as client:
        found = await client.get(f"/api/v1/partners/{pid}/360", params={"as_of": as_of})
        missing = await client.get("/api/v1/partners/nope/360")
        anonymous = await client.get(f"/api/v1/partners/{pid}/360", headers={"Authorization": "Bearer no"})
    assert (missing.status_code, anonymous.status_code) == (404, 401)
    body = found.json()
    assert found.status_code == 200, body
    assert (body["partner"]["name"], body["partner"]["tier"], body["partner"]["type"]) == (
        "Fabrikam Cloud Partners",
        3,
        "SI",
    )
    assert [c["email"] for c in body["contacts"]] == ["alliances@fabrikam-cloud-partners.example"]
    [journey] = body["journeys"]
    assert journey["cohort_id"] == cohort_id and journey["stage"] == "activation"
    [event] = [e for e in journey["timeline"] if e["kind"] == "tier_changed"]
    assert (event["data"]["previous_tier"], event["data"]["new_tier"]) == (2, 3)
    assert [(s["step_key"], s["answers"], s["review"]) for s in body["submissions"]] == [("icp", ICP, "pending")]

    signals = body["signals"]
    assert [s["name"] for s in signals["signals"]] == [
        "gtm_readiness",
        "proven_capability",
        "early_traction",
        "field_advocacy",
    ]
    for score in (*signals["signals"], signals["behavior"]):
        assert score["value"] == round(sum(i["points"] for i in score["items"])), score
    assert any(i["source"] == "step icp" for i in signals["signals"][0]["items"])
    [move] = body["tier_history"]
    assert (move["review_id"], move["previous_tier"], move["new_tier"], move["move"]) == (review_id, 2, 3, "demoted")
    assert move["reasons"][0].startswith("misses Tier 2 Emerging: ")
    assert [(d["deal_id"], d["stage"], d["ae_name"]) for d in body["deals"]] == [("deal-1", "accepted", "Dana Reyes")]
    assert [(i["intro_id"], i["status"]) for i in body["intros"]] == [("intro-1", "accepted")]
    assert body["feedback"] == [] and body["feedback_asks"] == []
    assert body["next_best_action"] == signals["next_action"] and body["next_best_action"]["action"]


async def test_cosell_partners_show(sessions: SessionFactory) -> None:
    _, pid = await recorded(sessions)
    await demoted_at_a_review(sessions, pid)
    settings = settings_for(sessions)
    summary = (await cli.show_partner(settings, pid, as_json=False)).splitlines()
    assert summary[0].startswith("Fabrikam Cloud Partners (SI), Tier 3 Baseline: ")
    assert [line.split()[0] for line in summary[1:6]] == [
        "gtm_readiness",
        "proven_capability",
        "early_traction",
        "field_advocacy",
        "behavior",
    ]
    assert any(line.startswith("  next: ") for line in summary)
    assert summary[-1].endswith("Tier 2 -> 3 (demoted)")
    whole = json.loads(await cli.show_partner(settings, pid, as_json=True))
    assert whole["partner"]["id"] == pid and len(whole["tier_history"]) == 1
    with pytest.raises(LookupError, match="no partner 'nope'"):
        await cli.show_partner(settings, "nope", as_json=False)
