"""A user's API key acts with its user's rights: a manager's key reaches only the programs they run (404,
exactly as for what does not exist), an admin's key and the bootstrap keys reach every program. The
OpenAPI walk makes a new route with a program, cohort, partner or deal parameter fail until it is checked."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Any, cast

from temporalio.client import Client

from api import key_scope
from api.api_keys import issue
from api.app import create_app
from db.cosell_models import Deal
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
        """Calls each such operation of the OpenAPI document (about 60) once with Ann's key on Program B's ids:
        ~3 s on a quiet machine (11 s under heavy load), the price of proving the check on every route."""
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
        assert checked > 50
