"""The owner AE hears of partner deal registrations on their accounts, once, in that day's digest: the
real registration activity (run with the time-skipping server's client), the AE's real IntroBatchWorkflow
and digest activity on the time-skipping server, the real database."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from temporalio.testing import ActivityEnvironment, WorkflowEnvironment

from activities.deal_inputs import RegisterDeal
from activities.deals import DealActivities
from activities.intro_inputs import RequestIntros
from activities.intros import IntroActivities
from db.deal_notice_models import AeDealNotice
from db.models import EmailOutbox
from db.repositories import journeys
from db.repositories import playbooks as playbook_repo
from db.session import SessionFactory, transaction
from domain.ae_digest import digest_slot
from mail.render import EmailRenderer
from playbooks.kinds import clean_answers
from settings import Settings
from tests.api.helpers import api_client
from tests.api.test_deals import deal, post
from tests.deal_data import registration
from tests.factories import create_cohort, partner, settings_for
from tests.intro_data import Crm, overlap, seed_crm
from tests.mail.helpers import CountingSender
from tests.waiting import eventually
from tests.workflows.helpers import partner_ids, running_worker
from tests.workflows.test_intro_requests import sleep_until
from wiring import make_signer
from workflows.intro_batch.messages import IntroAnswer, intro_batch_id
from workflows.intro_batch.workflow import IntroBatchWorkflow
from workflows.journey.messages import journey_id

PLAYBOOK = "cosell-motion-21d"
DANA = "dana.whitfield@vendor.example"
# A Salesforce opportunity export: Dana's own opportunity on Northwind, Alpha named as partner.
OPPORTUNITY = (
    '"Opportunity Owner","Account Name","Opportunity Name","Stage","Amount","Close Date","Opportunity ID",'
    '"Account ID","Primary Partner"\n'
    '"Dana Whitfield","Northwind Components","Northwind - MES Cloud","Prospecting","75,000.00","3/31/2027",'
    '"0065g00000AbCdE9AAF","0015e00000NwCmpA","Alpha Analytics"\n'
)
NOTE = "Lab data platform migration to the cloud before their data-centre lease ends."


@dataclass
class World:
    env: WorkflowEnvironment
    sessions: SessionFactory
    settings: Settings
    crm: Crm
    cohort_id: str
    pids: dict[str, str]
    now: datetime

    @property
    def dana(self) -> str:
        return self.crm.ae_ids["dana"]

    def family(self) -> tuple:  # type: ignore[type-arg]
        return (self.sessions, CountingSender(), make_signer(self.settings), EmailRenderer(), self.settings)

    async def register(self, name: str, bound: bool = True, **answers: str) -> str | None:
        """The partner completes its deal_registration step: the journey's activity, as the worker runs it
        (`bound`: with the Temporal client an activity has; else a plain call, which tells no batch)."""
        async with transaction(self.sessions) as session:
            row = await playbook_repo.get(session, PLAYBOOK)
            assert row is not None
        cleaned, errors = clean_answers(playbook_repo.to_model(row).step("register-deal"), registration(**answers))
        assert errors == {}
        req = RegisterDeal(
            journey_id=journey_id(self.cohort_id, self.pids[name]),
            cohort_id=self.cohort_id,
            partner_id=self.pids[name],
            step_key="register-deal",
            answers=cleaned,
            registered_at=self.now,
        )
        activities = DealActivities(*self.family())
        if not bound:
            return await activities.register_deal(req)
        return await self.activity_env().run(activities.register_deal, req)

    def activity_env(self) -> ActivityEnvironment:
        """Activities as the worker runs them: the client, and the task queue batches are started on."""
        env = ActivityEnvironment(client=self.env.client)
        env.info = dataclasses.replace(env.info, task_queue=self.settings.task_queue)
        return env


async def world(env: WorkflowEnvironment | None, sessions: SessionFactory, *names: str) -> World:
    # ts_env starts on a Monday at 09:00 UTC: the day's digest goes at 16:00
    now = await env.get_current_time() if env else datetime(2026, 11, 2, 9, tzinfo=UTC)
    cohort = await create_cohort(sessions, [partner(n) for n in names], starts_at=now, playbook_id=PLAYBOOK)
    pids = dict(zip(names, await partner_ids(sessions, cohort.id), strict=True))
    crm = await seed_crm(sessions)
    async with transaction(sessions) as session:
        for pid in pids.values():
            await journeys.save_journey(
                session,
                dict(
                    id=journey_id(cohort.id, pid),
                    cohort_id=cohort.id,
                    partner_id=pid,
                    stage="acceleration",
                    current_play="first-co-sell-deal",
                    current_step="register-deal",
                    status="waiting",
                    started_at=now,
                    updated_at=now,
                ),
            )
    return World(env, sessions, settings_for(sessions), crm, cohort.id, pids, now)  # type: ignore[arg-type]


async def to(sessions: SessionFactory, email: str) -> list[EmailOutbox]:
    async with transaction(sessions) as session:
        rows = await session.scalars(select(EmailOutbox).where(EmailOutbox.to_email == email))
        return list(rows)


async def notices(sessions: SessionFactory) -> dict[str, AeDealNotice]:
    async with transaction(sessions) as session:
        return {n.deal_id: n for n in await session.scalars(select(AeDealNotice))}


async def one_email(w: World, email: str = DANA) -> EmailOutbox:
    async def sent() -> EmailOutbox:
        rows = await to(w.sessions, email)
        assert len(rows) == 1 and rows[0].status == "sent", [(r.dedupe_key, r.status) for r in rows]
        return rows[0]

    return await eventually(sent, what=f"one digest to {email}, sent")


class TestOwnerAeDigest:
    async def test_step_registrations_of_one_day_are_one_email_to_the_owner_ae_each_once(
        self, ts_env: WorkflowEnvironment, sessions: SessionFactory
    ) -> None:
        w = await world(ts_env, sessions, "Alpha Analytics", "Beta Builders")
        await overlap(sessions, w.crm, w.pids["Alpha Analytics"], "Contoso Pharmaceuticals", "Fabrikam Logistics")
        async with running_worker(ts_env.client, w.settings, sessions):
            first = await w.register("Alpha Analytics")
            assert await w.register("Alpha Analytics") == first  # the activity retried: one deal, one notice
            northwind = dict(account_name="Northwind Components", account_domain="northwindcomponents.com")
            second = await w.register("Beta Builders", **northwind, amount="95000", description="")
            day, send_at = digest_slot(w.now)
            await sleep_until(ts_env, send_at + timedelta(minutes=5))
            mail = await one_email(w)
            batch = ts_env.client.get_workflow_handle(intro_batch_id(w.dana, day))
            assert await batch.result() == []  # no intro to answer: the batch ends with its digest
        assert (mail.kind, mail.dedupe_key) == ("ae_deal_registrations", f"deal-registrations/{w.dana}/{day}")
        assert mail.subject == "2 deal registrations on your accounts from Alpha Analytics and Beta Builders"
        for text in ("Contoso Pharmaceuticals", "Northwind Components", "180,000 USD", "95,000 USD", NOTE):
            assert text in mail.text, text
        assert "alliances@alpha-analytics.example" in mail.text  # who registered it
        assert mail.text.count("/ae/deal/") == 2
        sent = await notices(sessions)
        assert {n.status for n in sent.values()} == {"sent"} and set(sent) == {first, second}
        assert {n.outbox_key for n in sent.values()} == {mail.dedupe_key}
        assert await to(sessions, "marcus.oyelaran@vendor.example") == []

    async def test_an_intro_digest_the_same_day_carries_the_registration(
        self, ts_env: WorkflowEnvironment, sessions: SessionFactory
    ) -> None:
        w = await world(ts_env, sessions, "Alpha Analytics")
        pid = w.pids["Alpha Analytics"]
        await overlap(sessions, w.crm, pid, "Northwind Components", "Contoso Pharmaceuticals")
        async with running_worker(ts_env.client, w.settings, sessions):
            intros = IntroActivities(*w.family())
            ask = RequestIntros(
                journey_id=journey_id(w.cohort_id, pid),
                cohort_id=w.cohort_id,
                partner_id=pid,
                step_key="ae-intro-request",
                accounts=[w.crm.account_ids["Northwind Components"]],
                reason="Northwind is moving its plant-floor data to the cloud in Q3.",
                requested_at=w.now,
            )
            [request_id] = (await w.activity_env().run(intros.request_intros, ask)).request_ids
            deal_id = await w.register("Alpha Analytics")
            day, send_at = digest_slot(w.now)
            await sleep_until(ts_env, send_at + timedelta(minutes=5))
            mail = await one_email(w)
            batch = ts_env.client.get_workflow_handle(intro_batch_id(w.dana, day))
            await batch.execute_update(IntroBatchWorkflow.answer, IntroAnswer(request_id=request_id, answer="accept"))
            assert await batch.result() == []
            if os.environ.get("COSELL_RECORD_HISTORIES"):
                from tests.workflows.test_replay import save

                save("intro-batch-deal-news", await batch.fetch_history())
        assert (mail.kind, mail.dedupe_key) == ("intro_digest", f"intro-digest/{w.dana}/{day}")
        assert mail.subject == "1 co-sell intro request from Alpha Analytics and 1 deal registration"
        assert mail.text.count("/ae/intro/") == 3 and mail.text.count("/ae/deal/") == 1
        # When to bring Alpha in, on the call about each: the intro's account and the deal's
        assert mail.text.count("/ae/seller/") == mail.html.count("/ae/seller/") == 2
        assert (await notices(sessions))[str(deal_id)].outbox_key == mail.dedupe_key

    async def test_a_pm_registration_tells_the_owner_ae_and_a_crm_import_does_not(
        self, ts_env: WorkflowEnvironment, sessions: SessionFactory
    ) -> None:
        w = await world(ts_env, sessions, "Alpha Analytics")
        async with running_worker(ts_env.client, w.settings, sessions), api_client(w.settings, ts_env.client) as api:
            pm = deal(partner_external_id=None, partner_id=w.pids["Alpha Analytics"])
            registered = await post(api, pm)
            assert registered.status_code == 201, registered.text
            crm = {"file": ("opportunities.csv", OPPORTUNITY.encode(), "text/csv")}
            imported = await api.post("/api/v1/deals/import", files=crm, data={"program": "Test program"})
            assert imported.status_code == 200, imported.text
            assert imported.json()["created"] == 1
            day, send_at = digest_slot(w.now)
            await sleep_until(ts_env, send_at + timedelta(minutes=5))
            mail = await one_email(w)
        assert "the program manager, for Alpha Analytics" in mail.text and "Lab data platform migration" in mail.text
        # The import's deals are the AE's own CRM data: noted for nobody, emailed to nobody.
        assert set(await notices(sessions)) == {registered.json()["id"]}
        assert mail.text.count("/ae/deal/") == 1


class TestNobodyToTell:
    async def test_no_owner_ae_sends_nothing_and_records_why(self, sessions: SessionFactory) -> None:
        """No Temporal needed: with no owner nothing is handed to a batch (the activity runs unbound)."""
        from db.models import AuditLog, JourneyEvent
        from tests.deal_data import add_account

        w = await world(None, sessions, "Alpha Analytics")
        await add_account(sessions, "0015g00000NoOwner", "Woodgrove Bank", "woodgrove.example", None)
        deal_id = await w.register("Alpha Analytics", bound=False, account_name="Woodgrove Bank", account_domain="")
        [notice] = (await notices(sessions)).values()
        assert (notice.deal_id, notice.status, notice.ae_id, notice.batch_id) == (deal_id, "nobody", None, None)
        assert notice.reason == "the CRM account 'Woodgrove Bank' has no owner AE"
        async with transaction(sessions) as session:
            [audit] = list(await session.scalars(select(AuditLog).where(AuditLog.action == "deal_ae_not_told")))
            [event] = list(await session.scalars(select(JourneyEvent).where(JourneyEvent.kind == "deal_ae_not_told")))
            assert await session.scalar(select(EmailOutbox.id)) is None
        assert audit.detail["reason"] == event.data["reason"] == notice.reason
