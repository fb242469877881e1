"""The dashboard's Today read in SQL (db/views/today.py) against the rescoring path it replaced
(api.intel.service.cohort): the same items, in the same order, once the stored classification is what the
scorer says now; scoped to the viewer's programs and running cohorts. SQLite and Postgres."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from api.intel import service as intel_service
from db.cosell_models import AccountMatch, AeFeedback, Deal, IntroRequest, PartnerAccount
from db.intel_models import StepVisit, SubmissionReview
from db.models import Cohort, CohortMember, EmailOutbox, Journey, JourneyEvent, JourneyStep, Partner
from db.repositories import partner_facts, programs
from db.session import SessionFactory, transaction
from db.views import today as today_view
from domain.intel.assess import assess
from domain.intel.rubric import program_rubric
from tests.deal_data import add_account, add_ae
from tests.factories import create_cohort, partner

pytestmark = pytest.mark.timeout(120)
T0 = datetime(2026, 10, 5, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)
MOMENT = T0 + 20 * DAY
ICP = {"industry": "Healthcare", "company_size": 800, "trigger": "A new CISO after an audit finding."}
NAMES = ("Held Co", "Intro Co", "Flagged Co", "Review Co", "Quiet Co", "Gone Co")


def step(jid: str, key: str, invited: datetime, done: datetime | None, answers: dict | None = None) -> JourneyStep:  # type: ignore[type-arg]
    return JourneyStep(
        journey_id=jid,
        step_key=key,
        stage="awareness",
        play_key="p",
        status="completed" if done else "overdue",
        invited_at=invited,
        due_at=invited + 3 * DAY,
        reminders_sent=0 if done else 2,
        completed_at=done,
        submission=answers if done else None,
    )


def event(jid: str, kind: str, at: datetime, reason: str = "") -> JourneyEvent:
    data = {"reason": reason} if reason else {}
    return JourneyEvent(id=f"{jid}/{kind}/{at.isoformat()}", journey_id=jid, kind=kind, stage="awareness",
                        occurred_at=at, data=data)  # fmt: skip


def deal(deal_id: str, program: str, pid: str, cohort_id: str, stage: str, conflict: str | None) -> Deal:
    return Deal(id=deal_id, program_id=program, partner_id=pid, cohort_id=cohort_id, account_name=f"{deal_id} Health",
                account_key=f"{deal_id}.example", source="partner", stage=stage, partner_role="sourced",
                conflict=conflict, registered_at=T0 + 6 * DAY, updated_at=T0 + 8 * DAY)  # fmt: skip


def rows_for(ids: dict[str, str], cohort_id: str, program: str, ae: str, account: str) -> list[object]:
    """Every kind of explicit item, a few that are not (a decided hold, an approved answer), and moments that
    move a partner's idle days (a click, a link-page visit)."""
    j = {name: f"journey/{cohort_id}/{pid}" for name, pid in ids.items()}
    rows: list[object] = [
        Journey(id=jid, cohort_id=cohort_id, partner_id=ids[name], stage="awareness",
                status="held" if name == "Held Co" else "waiting", started_at=T0, updated_at=T0 + 5 * DAY)
        for name, jid in j.items()
    ]  # fmt: skip
    rows += [step(jid, "icp", T0, T0 + 2 * DAY if name != "Quiet Co" else None, ICP) for name, jid in j.items()]
    rows += [step(j["Intro Co"], "rules", T0 + 2 * DAY, None), step(j["Quiet Co"], "rules", T0 + 2 * DAY, None)]
    rows += [
        event(j["Held Co"], "gate_held", T0 + 3 * DAY, "an older hold"),
        event(j["Held Co"], "gate_decided", T0 + 4 * DAY),
        event(j["Held Co"], "gate_held", T0 + 5 * DAY, "readiness 40 of 60"),
        SubmissionReview(journey_id=j["Held Co"], step_key="icp", decision="approve", reviewed_by="pm",
                         reviewed_at=T0 + 3 * DAY, submitted_at=T0 + 2 * DAY),
        SubmissionReview(journey_id=j["Review Co"], step_key="icp", decision="approve", reviewed_by="pm",
                         reviewed_at=T0 + DAY, submitted_at=T0 + DAY),  # an earlier answer: this one waits
        IntroRequest(id=str(uuid.uuid4()), journey_id=j["Intro Co"], step_key="rules", partner_id=ids["Intro Co"],
                     vendor_account_id=account, ae_id=ae, reason="r", status="sent", requested_at=T0 + 4 * DAY),
        StepVisit(journey_id=j["Intro Co"], step_key="rules", day=(T0 + 9 * DAY).date(), partner_id=ids["Intro Co"],
                  visited_at=T0 + 9 * DAY),
        EmailOutbox(id=str(uuid.uuid4()), dedupe_key=f"{j['Quiet Co']}/icp/invite/0", journey_id=j["Quiet Co"],
                    kind="step_invite", to_email="q@q.example", subject="s", html="h", text="t", provider="outbox",
                    clicked_at=T0 + 4 * DAY),
        deal("flagged", program, ids["Flagged Co"], cohort_id, "registered", "flagged"),
        deal("won", program, ids["Flagged Co"], cohort_id, "closed_won", None),
        deal("gone", program, ids["Gone Co"], cohort_id, "registered", "flagged"),
    ]  # fmt: skip
    return rows


async def seeded(sessions: SessionFactory) -> tuple[str, dict[str, str]]:
    cohort = await create_cohort(sessions, [partner(n) for n in NAMES], starts_at=T0, program="Program A")
    ae = await add_ae(sessions, "dana@vendor.example", "Dana Reyes")
    account = await add_account(sessions, "001Contoso", "Contoso Health", "contoso-health.example", ae)
    async with transaction(sessions) as session:
        ids = {name: pid for pid, name in await session.execute(select(Partner.id, Partner.name))}
        program = await session.scalar(select(Cohort.program_id).where(Cohort.id == cohort.id))
        assert program is not None
        for row in rows_for(ids, cohort.id, program, ae, account):  # in order: each row's references first
            session.add(row)
            await session.flush()
        session.add(AeFeedback(deal_id="won", ae_id=ae, partner_id=ids["Flagged Co"], status="expired",
                               requested_at=T0 + 7 * DAY, expires_at=T0 + 9 * DAY))  # fmt: skip
        await session.execute(update(Partner).where(Partner.name == "Held Co").values(tier=1))
        await session.execute(update(Partner).where(Partner.name == "Flagged Co").values(tier=2))
        await session.execute(
            update(CohortMember).where(CohortMember.partner_id == ids["Gone Co"]).values(removed_at=T0 + DAY)
        )
    return cohort.id, ids


async def reviewed_at(sessions: SessionFactory, cohort_id: str, moment: datetime) -> None:
    """What a tier review at `moment` stores: each member's classification and scores, as the scorer says."""
    async with transaction(sessions) as session:
        ids = await partner_facts.cohort_partner_ids(session, cohort_id) or []
        rubric = program_rubric(await programs.rubric_of_cohort(session, cohort_id))
        for pid, facts in (await partner_facts.load_many(session, ids)).items():
            a = assess(facts, moment, rubric)
            values = dict(classification=a.classification.label, scores=a.values, scored_at=moment)
            await session.execute(update(Partner).where(Partner.id == pid).values(**values))


def shape(items: list) -> list[tuple]:  # type: ignore[type-arg]
    return [(i.kind, i.partner_id, i.since, i.impact, i.urgency) for i in items]


async def test_sql_today_lists_what_rescoring_listed_in_the_same_order(sessions: SessionFactory) -> None:
    cohort_id, ids = await seeded(sessions)
    await reviewed_at(sessions, cohort_id, MOMENT)
    async with transaction(sessions) as session:
        rescored = await intel_service.cohort(session, cohort_id, MOMENT)
        read = await today_view.today(session, None, MOMENT, 50)
    assert rescored is not None
    old, new = rescored.today, [e.item for e in read.entries]
    assert shape(new) == shape(old), (shape(new), shape(old))
    explicit = [(i.kind, i.partner_id, i.reason, i.action) for i in old if i.kind != "stalled_partner"]
    assert [(i.kind, i.partner_id, i.reason, i.action) for i in new if i.kind != "stalled_partner"] == explicit
    kinds = {i.kind for i in new}
    expected = {"gate_hold", "intro_waiting", "flagged_deal", "feedback_expired", "review_waiting", "stalled_partner"}
    assert kinds == expected, kinds
    stalled = {i.partner_id for i in new if i.kind == "stalled_partner"}
    assert ids["Quiet Co"] in stalled and ids["Gone Co"] not in {i.partner_id for i in new}
    assert next(i for i in new if i.kind == "gate_hold").reason == "readiness 40 of 60"
    assert {e.cohort_id for e in read.entries} == {cohort_id} and read.reviewed_at == MOMENT
    assert all(e.classified_at == MOMENT for e in read.entries if e.item.kind == "stalled_partner")


async def test_a_not_yet_partner_with_overlap_ranks_by_its_idle_days(sessions: SessionFactory) -> None:
    """A stored "not yet" with an overlapping account: not_yet_intro, urgency up one every 14 idle days."""
    cohort = await create_cohort(sessions, [partner("Ready Co")], starts_at=T0, program="Program A")
    ae = await add_ae(sessions, "dana@vendor.example", "Dana Reyes")
    account = await add_account(sessions, "001Contoso", "Contoso Health", "contoso-health.example", ae)
    async with transaction(sessions) as session:
        pid = await session.scalar(select(Partner.id))
        assert pid is not None
        session.add(Journey(id="j1", cohort_id=cohort.id, partner_id=pid, stage="awareness", status="waiting",
                            started_at=T0, updated_at=T0))  # fmt: skip
        pa = PartnerAccount(partner_id=pid, name="Contoso", name_key="contoso", line=1)
        session.add(pa)
        await session.flush()
        session.add(AccountMatch(partner_account_id=pa.id, vendor_account_id=account, partner_id=pid,
                                 match_key="name", confidence=100))  # fmt: skip
        await session.execute(
            update(Partner).values(classification="not_yet", scores={"gtm_readiness": 72}, scored_at=T0, tier=2)
        )
        read = await today_view.today(session, None, T0 + 30 * DAY, 50)
    [entry] = read.entries
    i = entry.item
    assert (i.kind, i.partner_id, i.impact, i.urgency, i.since) == ("not_yet_intro", pid, 5, 3, T0)
    assert i.reason == "not yet: readiness 72" and entry.cohort_id == cohort.id and entry.classified_at == T0


async def test_only_the_viewers_programs_and_running_cohorts(sessions: SessionFactory) -> None:
    cohort_id, ids = await seeded(sessions)
    await reviewed_at(sessions, cohort_id, MOMENT)
    other = await create_cohort(sessions, [partner("Other Co")], starts_at=T0, program="Program B")
    async with transaction(sessions) as session:
        a, b = [await session.scalar(select(Cohort.program_id).where(Cohort.id == c)) for c in (cohort_id, other.id)]
        pid = await session.scalar(select(Partner.id).where(Partner.name == "Other Co"))
        jid = f"journey/{other.id}/{pid}"
        session.add(Journey(id=jid, cohort_id=other.id, partner_id=pid, stage="awareness", status="held",
                            started_at=T0, updated_at=T0))  # fmt: skip
        await session.flush()
        session.add(event(jid, "gate_held", T0 + DAY, "in program B"))
        await session.flush()
        seen_b = await today_view.today(session, [b], MOMENT, 50)
        seen_a = await today_view.today(session, [a], MOMENT, 50)
        assert [(e.item.kind, e.item.partner_id) for e in seen_b.entries] == [("gate_hold", pid)]
        assert pid not in {e.item.partner_id for e in seen_a.entries} and len(seen_a.entries) > 5
        await session.execute(update(Cohort).where(Cohort.id == cohort_id).values(status="closed"))
        await session.flush()
        assert (await today_view.today(session, [a], MOMENT, 50)).entries == []
        everything = await today_view.today(session, None, MOMENT, 3)
    assert [e.item.partner_id for e in everything.entries] == [pid]
