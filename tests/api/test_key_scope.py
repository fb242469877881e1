"""A user's API key acts with its user's rights: a manager's key reaches only the programs they run (404,
exactly as for what does not exist), an admin's key and the bootstrap keys reach every program. The
OpenAPI walk makes a new route with a program, cohort, partner or deal parameter fail until it is checked."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import select
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from api import key_scope
from api.api_keys import issue
from api.app import create_app
from db.cosell_models import AccountExecutive, AeFeedback, Deal, PartnerAccount
from db.models import EmailOutbox, Journey, Partner
from db.session import SessionFactory, transaction
from db.views import dashboard
from tests.dashboard_data import Programs, browser, dashboard_app, two_programs
from tests.factories import cohort_body, partner, settings_for

NO_TEMPORAL = cast(Client, object())
METHODS = {"get", "post", "put", "patch", "delete"}
PARAM = re.compile(r"{(\w+)}")


async def planted(sessions: SessionFactory) -> tuple[Programs, dict[str, str], dict[str, str]]:
    """Two programs, a deal in each, and a key for Ann (manager of A) and for Root (admin)."""
    ids = await two_programs(sessions)
    now = datetime.now(UTC)
    async with transaction(sessions) as session:
        program = {
            k: await dashboard.program_of_cohort(session, c) for k, c in (("a", ids.cohort_a), ("b", ids.cohort_b))
        }
        deals = {}
        for k, partner_id in (("a", ids.partner_a), ("b", ids.partner_b)):
            deals[k] = str(uuid.uuid4())
            session.add(
                Deal(
                    id=deals[k],
                    program_id=program[k],
                    partner_id=partner_id,
                    account_name=f"Account {k}",
                    account_key=f"account {k}",
                    source="pm",
                    partner_role="sourced",
                    registered_at=now,
                )
            )
        await session.flush()
        for k, partner_id, cohort_id in (("a", ids.partner_a, ids.cohort_a), ("b", ids.partner_b, ids.cohort_b)):
            await _program_rows(session, k, partner_id, cohort_id, deals[k], now)
        keys = {
            "ann": (await issue(session, "ann@a.example", "scoped", now)).key,
            "root": (await issue(session, "root@admin.example", "admin", now)).key,
        }
    b = {
        "program_id": cast(str, program["b"]),
        "cohort_id": ids.cohort_b,
        "partner_id": ids.partner_b,
        "deal_id": deals["b"],
        "journey_id": f"journey-{ids.cohort_b}",
    }
    return ids, keys, {**b, "deal_a": deals["a"], "program_a": cast(str, program["a"])}


async def _program_rows(session: Any, k: str, partner_id: str, cohort_id: str, deal_id: str, now: datetime) -> None:
    """What the lists without a program filter show: an uploaded account list (overlap), an unsettled email
    of a journey, an AE's submitted feedback on the deal."""
    session.add(PartnerAccount(partner_id=partner_id, name=f"Listed {k}", name_key=f"listed {k}", line=2))
    journey = f"journey-{k}-{cohort_id}"
    session.add(
        Journey(
            id=journey,
            cohort_id=cohort_id,
            partner_id=partner_id,
            stage="activate",
            status="active",
            started_at=now,
            updated_at=now,
        )
    )
    session.add(
        EmailOutbox(
            id=str(uuid.uuid4()),
            dedupe_key=f"unsettled-{k}",
            journey_id=journey,
            kind="step",
            status="unsettled",
            to_email=f"{k}@partner.example",
            subject=f"Step {k}",
            html="",
            text="",
            provider="smtp",
        )
    )
    ae = AccountExecutive(id=str(uuid.uuid4()), email=f"ae-{k}@vendor.example", name=f"AE {k}")
    session.add(ae)
    await session.flush()
    session.add(
        AeFeedback(
            deal_id=deal_id,
            ae_id=ae.id,
            partner_id=partner_id,
            status="submitted",
            requested_at=now,
            expires_at=now + timedelta(days=10),
            contribution="sourced",
            role_clarity=4,
            responsiveness=4,
            invite_again=True,
            comment=f"Comment {k}",
            submitted_at=now,
        )
    )


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


class TestScopedKeys:
    async def test_a_managers_key_reaches_only_their_programs(self, sqlite_sessions: SessionFactory) -> None:
        ids, keys, b = await planted(sqlite_sessions)
        settings = settings_for(sqlite_sessions, api_keys=["boot-secret"])
        async with dashboard_app(settings, NO_TEMPORAL) as app, browser(app) as api:
            ann, root, boot = bearer(keys["ann"]), bearer(keys["root"]), bearer("boot-secret")
            foreign = {
                f"/api/v1/cohorts/{ids.cohort_b}": "cohort",
                f"/api/v1/cohorts/{ids.cohort_b}/partners": "cohort",
                f"/api/v1/partners/{ids.partner_b}": "partner",
                f"/api/v1/partners/{ids.partner_b}/360": "partner",
                f"/api/v1/deals/{b['deal_id']}": "deal",
                f"/api/v1/programs/{b['program_id']}/rubric": "program",
            }
            for path, kind in foreign.items():
                refused = await api.get(path, headers=ann)
                ghost = await api.get(path.replace(path.split("/")[4], "no-such-id"), headers=ann)
                assert refused.status_code == ghost.status_code == 404, (path, refused.text)
                # Not even the wording tells a foreign id from one that does not exist.
                assert refused.json()["error"].replace(path.split("/")[4], "X") == ghost.json()["error"].replace(
                    "no-such-id", "X"
                ), path
                assert refused.json()["error"].startswith(kind)
                assert (await api.get(path, headers=root)).status_code == 200, path
                assert (await api.get(path, headers=boot)).status_code == 200, path
            for path in (
                f"/api/v1/cohorts/{ids.cohort_a}",
                f"/api/v1/partners/{ids.partner_a}",
                f"/api/v1/deals/{b['deal_a']}",
            ):
                assert (await api.get(path, headers=ann)).status_code == 200, path

            pause = await api.post(f"/api/v1/cohorts/{ids.cohort_b}/pause", headers=ann)
            assert pause.status_code == 404
            body = cohort_body([partner("Sneaky Co")], program="Program B", name="Sneaky")
            made = await api.post("/api/v1/cohorts", headers=ann, json=body)
            assert made.status_code == 404 and made.json()["error"] == "program Program B not found"
            by_query = await api.get("/api/v1/deals", params={"program": "Program B"}, headers=ann)
            assert by_query.status_code == 404

            assert [c["name"] for c in (await api.get("/api/v1/cohorts", headers=ann)).json()["cohorts"]] == [
                "Cohort A"
            ]
            assert [p["name"] for p in (await api.get("/api/v1/programs", headers=ann)).json()] == ["Program A"]
            assert [d["id"] for d in (await api.get("/api/v1/deals", headers=ann)).json()["deals"]] == [b["deal_a"]]
            assert len((await api.get("/api/v1/cohorts", headers=root)).json()["cohorts"]) == 2


class TestListsAndBodies:
    async def test_lists_show_a_managers_programs_and_bodies_name_only_theirs(
        self, sqlite_sessions: SessionFactory
    ) -> None:
        ids, keys, b = await planted(sqlite_sessions)
        async with transaction(sqlite_sessions) as session:
            cast(Partner, await session.get(Partner, ids.partner_b)).external_id = "beta-ext"
        settings = settings_for(sqlite_sessions, api_keys=["boot-secret"])
        async with dashboard_app(settings, NO_TEMPORAL) as app, browser(app) as api:
            ann, root = bearer(keys["ann"]), bearer(keys["root"])

            async def seen(path: str, key: dict[str, str], pick: Any) -> list[str]:
                answer = await api.get(path, headers=key)
                assert answer.status_code == 200, (path, answer.text[:200])
                return sorted(pick(answer))

            lists = {
                "/api/v1/partners": lambda r: [p["id"] for p in r.json()["partners"]],
                "/api/v1/overlap": lambda r: [p["partner_id"] for p in r.json()["partners"]],
                "/api/v1/emails/unsettled": lambda r: [e["to_email"].split("@")[0] for e in r.json()],
                "/api/v1/export/deals.csv": lambda r: re.findall(r"Account (\w)", r.text),
                "/api/v1/export/feedback.csv": lambda r: re.findall(r"Comment (\w)", r.text),
            }
            both = {
                "/api/v1/partners": sorted([ids.partner_a, ids.partner_b]),
                "/api/v1/overlap": sorted([ids.partner_a, ids.partner_b]),
            }
            for path, pick in lists.items():
                mine = [ids.partner_a] if path in both else ["a"]
                assert await seen(path, ann, pick) == mine, path
                assert await seen(path, root, pick) == both.get(path, ["a", "b"]), path

            # Only an admin makes programs (the dashboard gives a manager the programs an admin assigned).
            made = await api.post("/api/v1/programs", headers=ann, json={"name": "Ann's own"})
            assert made.status_code == 403 and made.json()["error"] == "only an admin's key may create a program"
            assert (await api.post("/api/v1/programs", headers=root, json={"name": "Root's"})).status_code == 201
            # A deal's cohort cannot move by PATCH; a new deal's cohort must be in the (key's) program.
            moved = await api.patch(f"/api/v1/deals/{b['deal_a']}", headers=ann, json={"cohort_id": ids.cohort_b})
            assert moved.status_code == 422, moved.text
            deal = {"program": "Program A", "partner_id": ids.partner_a, "cohort_id": ids.cohort_b}
            registered = await api.post(
                "/api/v1/deals", headers=ann, json={**deal, "account_name": "Else", "partner_role": "sourced"}
            )
            assert registered.status_code == 404 and registered.json()["error"].startswith("cohort"), registered.text
            # Nor a partner outside the key's programs, worded as one that does not exist.
            deal = {"program": "Program A", "account_name": "Other", "partner_role": "sourced"}
            for named in ({"partner_id": ids.partner_b}, {"partner_external_id": "beta-ext"}):
                foreign = await api.post("/api/v1/deals", headers=ann, json={**deal, **named})
                ghost = await api.post("/api/v1/deals", headers=ann, json={**deal, "partner_id": "no-such-id"})
                assert (
                    foreign.status_code == ghost.status_code == 404 and foreign.json()["error"] == "partner not found"
                )
            assert (await api.post("/api/v1/deals", headers=root, json={**deal, **named})).status_code == 201
            # The CRM import names its program in the form: one of the key's.
            form = {"program": "Program B"}
            upload = {"file": ("opportunities.csv", b"Opportunity ID,Account Name\n", "text/csv")}
            imported = await api.post("/api/v1/deals/import", headers=ann, data=form, files=upload)
            assert imported.status_code == 404 and imported.json()["error"] == "program Program B not found"
            past_scope = await api.post("/api/v1/deals/import", headers=root, data=form, files=upload)
            assert past_scope.status_code == 422, past_scope.text


IMPORT_HEADER = "Partner Key,Company,Group,Email\n"


async def names_by_external_id(sessions: SessionFactory) -> dict[str | None, str]:
    async with transaction(sessions) as session:
        return {p.external_id: p.name for p in await session.scalars(select(Partner))}


class TestPartnerImport:
    async def test_a_managers_key_imports_partners_of_its_programs_or_none_and_refuses_the_file_otherwise(
        self, sqlite_sessions: SessionFactory
    ) -> None:
        ids, keys, _ = await planted(sqlite_sessions)
        async with transaction(sqlite_sessions) as session:
            cast(Partner, await session.get(Partner, ids.partner_a)).external_id = "alpha-ext"
            cast(Partner, await session.get(Partner, ids.partner_b)).external_id = "beta-ext"
            session.add(Partner(id=str(uuid.uuid4()), external_id="free-ext", name="Free Agent", type="SI"))
        mine = "alpha-ext,Alpha Renamed,SI,a@alpha.example\nnew-ext,Brand New,ISV,n@new.example\n"
        free = "free-ext,Free Renamed,MSP,f@free.example\n"
        stolen = "beta-ext,Beta Stolen,SI,x@evil.example\n"
        settings = settings_for(sqlite_sessions, api_keys=["boot-secret"])
        async with dashboard_app(settings, NO_TEMPORAL) as app, browser(app) as api:

            async def upload(key: str, rows: str) -> Any:
                file = {"file": ("partners.csv", (IMPORT_HEADER + rows).encode(), "text/csv")}
                return await api.post("/api/v1/partners/import", headers=bearer(key), files=file)

            refused = await upload(keys["ann"], mine + stolen + free)
            assert refused.status_code == 422, refused.text
            problems = refused.json()["detail"]["problems"]
            assert [(p["line"], p["column"]) for p in problems] == [(4, "Partner Key")]
            assert "in programs you do not run" in problems[0]["message"]
            before = await names_by_external_id(sqlite_sessions)
            assert (before["alpha-ext"], before["beta-ext"], "new-ext" in before) == (
                "Alpha Analytics",
                "Beta Builders",
                False,
            )  # nothing of the refused file was written

            done = await upload(keys["ann"], mine + free)
            assert done.status_code == 200, done.text
            assert (done.json()["created"], done.json()["updated"]) == (1, 2)
            for key in (keys["root"], "boot-secret"):  # an admin's key and the bootstrap keys reach every partner
                assert (await upload(key, stolen)).status_code == 200
        after = await names_by_external_id(sqlite_sessions)
        assert [after[k] for k in ("alpha-ext", "new-ext", "free-ext", "beta-ext")] == [
            "Alpha Renamed",
            "Brand New",
            "Free Renamed",
            "Beta Stolen",
        ]


class TestPartnersInBodies:
    async def test_a_managers_key_cannot_rewrite_another_programs_partner_through_a_cohort(
        self, dev_env: WorkflowEnvironment, sqlite_sessions: SessionFactory
    ) -> None:
        ids, keys, _ = await planted(sqlite_sessions)
        async with transaction(sqlite_sessions) as session:
            cast(Partner, await session.get(Partner, ids.partner_a)).external_id = "alpha-ext"
            cast(Partner, await session.get(Partner, ids.partner_b)).external_id = "beta-ext"
        stolen = partner("Beta Stolen", external_id="beta-ext")
        async with dashboard_app(settings_for(sqlite_sessions), dev_env.client) as app, browser(app) as api:
            ann = bearer(keys["ann"])
            body = cohort_body([partner("Alpha Analytics", external_id="alpha-ext"), stolen], program="Program A")
            made = await api.post("/api/v1/cohorts", headers=ann, json=body)
            assert made.status_code == 422, made.text
            assert [d["path"] for d in made.json()["detail"]] == ["partners[1].external_id"]
            added = await api.post(f"/api/v1/cohorts/{ids.cohort_a}/partners", headers=ann, json={"partners": [stolen]})
            assert added.status_code == 422 and added.json()["detail"][0]["path"] == "partners[0].external_id"
            assert (await names_by_external_id(sqlite_sessions))["beta-ext"] == "Beta Builders"

            body["partners"] = body["partners"][:1] + [partner("Brand New", external_id="new-ext")]
            made = await api.post("/api/v1/cohorts", headers=ann, json=body)
            assert made.status_code == 201, made.text
        await dev_env.client.get_workflow_handle(f"window/{made.json()['id']}").terminate("test over")


def scoped_request(method: str, path: str, op: dict[str, Any], b: dict[str, str]) -> tuple[str, dict[str, str]]:
    url = PARAM.sub(lambda m: b.get(m.group(1), "anything"), path)
    query = {
        p["name"]: b["program_id"] if p["name"] == "program" else b["partner_id"]
        for p in op.get("parameters", [])
        if p["in"] == "query" and p["name"] in key_scope.QUERY
    }
    return url, query


class TestEveryRoute:
    async def test_every_route_naming_a_program_cohort_partner_or_deal_refuses_another_managers(
        self, sqlite_sessions: SessionFactory
    ) -> None:
        """Calls each such operation of the OpenAPI document (about 60) once with Ann's key on Program B's ids,
        then each list: ~4 s on a quiet machine (11 s under heavy load), the price of proving the check on
        every route."""
        document = create_app(settings_for(sqlite_sessions)).openapi()
        unknown = [
            (path, name)
            for path in document["paths"]
            for name in PARAM.findall(path)
            if name not in key_scope.PATH and name not in key_scope.UNSCOPED
        ]
        assert unknown == [], "list each in api/key_scope.py: PATH (checked) or UNSCOPED (with the reason)"

        _, keys, b = await planted(sqlite_sessions)
        checked = 0
        async with dashboard_app(settings_for(sqlite_sessions), NO_TEMPORAL) as app, browser(app) as api:
            for path, item in document["paths"].items():
                for method, op in ((m, o) for m, o in item.items() if m in METHODS):
                    names = set(PARAM.findall(path))
                    queries = {p["name"] for p in op.get("parameters", []) if p["in"] == "query"}
                    if not names & set(key_scope.PATH) and not queries & set(key_scope.QUERY):
                        continue
                    url, query = scoped_request(method, path, op, b)
                    body = {} if method in ("post", "put", "patch") else None
                    answer = await api.request(
                        method.upper(), url, params=query, json=body, headers=bearer(keys["ann"])
                    )
                    assert answer.status_code == 404, (method, path, answer.status_code, answer.text[:200])
                    # The scope's own answer (its detail names the parameter), not the handler's.
                    [(param, value)] = answer.json()["detail"].items()
                    assert value == (query.get(param) or b[param]), (method, path, answer.text[:200])
                    checked += 1
            listed = await _lists_show_nothing_of_b(api, document, keys["ann"], b)
        assert checked > 50 and listed >= 8


async def _lists_show_nothing_of_b(api: Any, document: dict[str, Any], key: str, b: dict[str, str]) -> int:
    """Every PM list (a GET naming nothing: no path parameter), with no filter and Ann's key, shows nothing of
    Program B's planted rows: a new list that does not narrow to the key's programs fails here."""
    of_b = [*(b[k] for k in key_scope.PATH), "Program B", "Beta Builders", "Account b", "Comment b", "b@partner"]
    listed = 0
    for path, item in document["paths"].items():
        op = item.get("get")
        if op is None or PARAM.search(path) or not op.get("security"):
            continue
        answer = await api.get(path, headers=bearer(key))
        assert answer.status_code == 200, (path, answer.text[:200])
        assert [m for m in of_b if m in answer.text] == [], path
        listed += 1
    return listed
