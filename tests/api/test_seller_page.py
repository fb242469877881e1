"""The AE's seller page (/ae/seller/<token>) for two partners on cloud-cosell-90d that overlap on the same
buyer account: each link shows its own partner's answers and contact and nothing of the other; forged,
foreign, wrong-purpose and expired links show nothing; a browser's opening (not a scanner's) goes on the
partner's timeline once a day; the PM copies the link from the partner's dashboard page. No Temporal:
the page never talks to it."""

from __future__ import annotations

import re
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from unittest import mock

import httpx
from markupsafe import escape
from sqlalchemy import select

from api.dashboard.users import create as create_user
from db.cosell_models import Deal
from db.models import JourneyEvent, Program
from db.repositories import journeys
from db.session import SessionFactory, transaction
from domain.links import DealOverlapClaims, LinkSigner, SellerClaims, StepClaims
from playbooks.loader import CONTENT_DIR, load_playbook
from settings import Settings
from tests.api.helpers import api_client
from tests.dashboard_data import browser, dashboard_app, sign_in
from tests.factories import create_cohort, partner, settings_for
from tests.intro_data import Crm, overlap, seed_crm
from tests.workflows.helpers import partner_ids
from wiring import make_signer
from workflows.journey.messages import journey_id

PLAYBOOK = load_playbook(CONTENT_DIR / "cloud-cosell-90d")
PLAY = "proven-use-case-field-intro"
PHONE = {"User-Agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148"}
NOW = datetime(2026, 11, 2, 9, tzinfo=UTC)


def icp(value: str, buyer: str) -> dict:
    return {
        "target_industries": ["Manufacturing"],
        "company_sizes": ["1,000-5,000 employees"],
        "regions": ["EMEA"],
        "primary_buyer": buyer,
        "value_proposition": value,
        "trigger_events": "A plant-floor system reaching end of support.",
    }


ANSWERS = {
    "Alpha Analytics": {
        "icp-profile": icp("Predictive maintenance that cuts unplanned downtime by a third.", "VP Operations"),
        "use-case-writeup": {"use_case_title": "Predictive maintenance on MES data", "outcome_metric": "-31% downtime"},
    },
    "Beta Builders": {"icp-profile": icp("Warehouse robotics integration in eight weeks.", "Head of Logistics")},
}


@dataclass
class World:
    settings: Settings
    signer: LinkSigner
    crm: Crm
    pids: dict[str, str]
    jids: dict[str, str]

    def link(self, name: str, ae: str = "dana", account: str = "Northwind Components", **extra: str) -> str:
        claims = SellerClaims(self.jids[name], PLAY, self.crm.ae_ids[ae], self.crm.account_ids[account], **extra)
        return f"/ae/seller/{self.signer.sign_seller(claims)}"


async def world(sessions: SessionFactory) -> World:
    cohort = await create_cohort(sessions, [partner(n) for n in ANSWERS], playbook_id="cloud-cosell-90d")
    pids = dict(zip(ANSWERS, await partner_ids(sessions, cohort.id), strict=True))
    crm = await seed_crm(sessions)
    await overlap(sessions, crm, pids["Alpha Analytics"], "Northwind Components", "Contoso Pharmaceuticals")
    await overlap(sessions, crm, pids["Beta Builders"], "Northwind Components")
    jids = {name: journey_id(cohort.id, pid) for name, pid in pids.items()}
    async with transaction(sessions) as session:
        for name, pid in pids.items():
            journey = dict(id=jids[name], cohort_id=cohort.id, partner_id=pid, stage="activation")
            await journeys.save_journey(session, {**journey, "status": "waiting", "started_at": NOW, "updated_at": NOW})
            for step, answers in ANSWERS[name].items():
                row = dict(journey_id=jids[name], step_key=step, stage="awareness", play_key=PLAYBOOK.play_of(step).key)
                times = dict(invited_at=NOW, due_at=NOW, completed_at=NOW)
                await journeys.save_step(session, {**row, **times, "status": "completed", "submission": answers})
    settings = settings_for(sessions)
    return World(settings, make_signer(settings), crm, pids, jids)


async def opened(sessions: SessionFactory) -> list[JourneyEvent]:
    async with transaction(sessions) as session:
        return list(await session.scalars(select(JourneyEvent).where(JourneyEvent.kind == "seller_page_opened")))


class TestSellerPage:
    async def test_shows_the_moment_the_buyer_and_this_partners_own_answers_and_nothing_of_the_other(
        self, sessions: SessionFactory
    ) -> None:
        w = await world(sessions)
        seller = PLAYBOOK.play_of("ae-intro-request").seller
        assert seller is not None
        async with api_client(w.settings, object()) as http:  # type: ignore[arg-type]
            alpha = await http.get(w.link("Alpha Analytics"), headers=PHONE)
            beta = await http.get(w.link("Beta Builders"), headers=PHONE)
        assert alpha.status_code == beta.status_code == 200, alpha.text
        assert alpha.headers["cache-control"] == "no-store" and alpha.headers["referrer-policy"] == "no-referrer"
        assert "<script" not in alpha.text and 'name="viewport"' in alpha.text
        for text in (
            "Alpha Analytics at Northwind Components",
            "For Dana Whitfield",
            seller.bring_in_when,
            seller.problem,
            "Enterprise",  # the buyer's segment
            "also lists Northwind Components among its customers or targets (matched on domain)",
            "They share 2 of our accounts, 2 of them yours.",
            "Predictive maintenance that cuts unplanned downtime by a third.",
            "VP Operations",
            "-31% downtime",
            "mailto:alliances@alpha-analytics.example",
        ):
            assert str(escape(text)) in alpha.text, text
        for other in ("Beta", "Warehouse robotics", "Head of Logistics", "beta-builders"):
            assert other not in alpha.text, other
        assert (
            "Warehouse robotics integration in eight weeks." in beta.text
            and "They share 1 of our accounts" in beta.text
        )
        for other in ("Alpha", "Predictive maintenance", "-31% downtime"):
            assert other not in beta.text, other

    async def test_forged_foreign_wrong_purpose_and_expired_links_show_nothing(self, sessions: SessionFactory) -> None:
        w = await world(sessions)
        good = w.link("Alpha Analytics")
        token = good.rsplit("/", 1)[1]
        async with transaction(sessions) as session:  # Beta's deal, named in a link on Alpha's journey
            program = await session.scalar(select(Program.id).where(Program.name == "Test program"))
            beta_deal = _deal(str(program), w.pids["Beta Builders"], w.crm.account_ids["Northwind Components"])
            session.add(beta_deal)
        forty_days_ago = int(time.time()) - 40 * 86400
        with mock.patch("itsdangerous.timed.TimestampSigner.get_timestamp", return_value=forty_days_ago):
            expired = w.link("Alpha Analytics")
        refused = {
            "tampered": (f"/ae/seller/{token[:-2]}{'AA' if not token.endswith('AA') else 'BB'}", 404),
            "step link": ("/ae/seller/" + w.signer.sign_step(StepClaims(w.jids["Alpha Analytics"], PLAY)), 404),
            "deal link": ("/ae/seller/" + w.signer.sign_deal_overlap(DealOverlapClaims(beta_deal.id, "x")), 404),
            "other partner's deal": (w.link("Alpha Analytics", deal_id=beta_deal.id), 404),
            "unknown account": (_link(w, account_id=str(uuid.uuid4())), 404),
            "play without a sales moment": (_link(w, play_key="kickoff-and-rules"), 404),
            "expired": (expired, 410),
        }
        async with api_client(w.settings, object()) as http:  # type: ignore[arg-type]
            assert (await http.get(good, headers=PHONE)).status_code == 200
            for what, (path, status) in refused.items():
                answer = await http.get(path, headers=PHONE)
                assert answer.status_code == status, (what, answer.status_code)
                assert "Alpha" not in answer.text and "Northwind" not in answer.text, what
                assert answer.headers["cache-control"] == "no-store", what
            assert (await http.post(good)).status_code == 405  # nothing to do but look
        assert len(await opened(sessions)) == 1  # only the good link's opening

    async def test_an_ae_opening_is_on_the_timeline_once_a_day_and_a_scanner_prefetch_is_not(
        self, sessions: SessionFactory
    ) -> None:
        w = await world(sessions)
        path = w.link("Alpha Analytics")
        async with api_client(w.settings, object()) as http:  # type: ignore[arg-type]
            scanned = await http.get(path, headers={"User-Agent": "Microsoft Office/16.0 (Windows NT 10.0)"})
            assert scanned.status_code == 200 and await opened(sessions) == []
            for _ in range(2):  # opened, then reloaded during the call
                assert (await http.get(path, headers=PHONE)).status_code == 200
        [event] = await opened(sessions)
        assert event.journey_id == w.jids["Alpha Analytics"]
        assert (event.data["ae"], event.data["account"]) == ("Dana Whitfield", "Northwind Components")


async def test_the_pm_copies_the_link_from_the_partner_page_and_sees_the_ae_looked(sessions: SessionFactory) -> None:
    w = await world(sessions)
    async with transaction(sessions) as session:
        await create_user(session, "ann@vendor.example", "Ann", "manager", ["Test program"])
    async with dashboard_app(w.settings, object()) as app, browser(app) as ann, browser(app) as ae:
        await sign_in(ann, "ann@vendor.example")
        before = (await ann.get(f"/partners/{w.pids['Alpha Analytics']}")).text
        assert "Seller pages" in before
        links = re.findall(r'value="(http[^"]+/ae/seller/[^"]+)" aria-label="Seller page link for ([^"]+)"', before)
        assert sorted(label for _, label in links) == [
            "Dana Whitfield on Contoso Pharmaceuticals",
            "Dana Whitfield on Northwind Components",
        ]
        northwind = next(url for url, label in links if label.endswith("Northwind Components"))
        page = await ae.get(httpx.URL(northwind).raw_path.decode(), headers=PHONE)
        assert page.status_code == 200 and "Alpha Analytics at Northwind Components" in page.text
        after = (await ann.get(f"/partners/{w.pids['Alpha Analytics']}")).text
    assert "seller page opened by Dana Whitfield (Northwind Components)" in after
    assert after.count("not yet") == before.count("not yet") - 1


def _link(w: World, **changes: str) -> str:
    fields = dict(
        journey_id=w.jids["Alpha Analytics"],
        play_key=PLAY,
        ae_id=w.crm.ae_ids["dana"],
        account_id=w.crm.account_ids["Northwind Components"],
    )
    return "/ae/seller/" + w.signer.sign_seller(SellerClaims(**{**fields, **changes}))


def _deal(program_id: str, partner_id: str, account_id: str) -> Deal:
    return Deal(
        id=str(uuid.uuid4()),
        program_id=program_id,
        partner_id=partner_id,
        vendor_account_id=account_id,
        account_name="Northwind Components",
        account_key="northwindcomponents.com",
        source="pm",
        partner_role="sourced",
        registered_at=NOW,
    )
