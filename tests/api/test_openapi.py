"""The OpenAPI document tells the truth, checked one defect at a time (issue 15, defect 5).

tests/api/test_schemathesis.py fuzzes the running API against the document; these pin each fix quickly.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from api.fields import EMAIL_PATTERN, _email
from db.session import SessionFactory
from tests.api.helpers import api_client
from tests.factories import create_cohort, partner, settings_for

METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return create_app().openapi()


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(m, p, op) for p, item in document["paths"].items() for m, op in item.items() if m in METHODS]


def test_every_pm_operation_declares_the_api_key_and_its_401_challenge(document: dict[str, Any]) -> None:
    schemes = document["components"]["securitySchemes"]
    assert {s["type"] for s in schemes.values()} == {"http", "apiKey"}
    pm = [(m, p, op) for m, p, op in operations(document) if p.startswith("/api/")]
    assert len(pm) > 30
    for method, path, op in pm:
        assert op.get("security") == [{name: []} for name in schemes], (method, path)
        assert "WWW-Authenticate" in op["responses"]["401"]["headers"], (method, path)


def test_every_error_answer_is_described_by_the_body_the_api_sends(document: dict[str, Any]) -> None:
    assert "HTTPValidationError" not in document["components"]["schemas"]
    error = document["components"]["schemas"]["ErrorOut"]
    assert error["required"] == ["error"]
    for method, path, op in operations(document):
        for code, answer in op["responses"].items():
            if code.startswith("4") and path != "/readyz":
                schema = answer["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ErrorOut"}, (method, path, code)


async def test_a_401_names_the_bearer_scheme(sqlite_sessions: SessionFactory, dev_env: WorkflowEnvironment) -> None:
    async with api_client(settings_for(sqlite_sessions), dev_env.client) as api:
        answer = await api.get("/api/v1/programs", headers={"Authorization": "Bearer wrong"})
        with_body = await api.post("/api/v1/deals", headers={"Authorization": ""}, json={})
    for refused in (answer, with_body):  # the route's check and the body limit's check, before the body
        assert refused.status_code == 401, refused.text
        assert refused.headers["WWW-Authenticate"].startswith("Bearer "), refused.headers
        assert refused.json()["error"] == "missing or invalid API key"


async def test_a_405_allows_every_method_of_the_path(
    sqlite_sessions: SessionFactory, dev_env: WorkflowEnvironment
) -> None:
    async with api_client(settings_for(sqlite_sessions), dev_env.client) as api:
        options = await api.options("/api/v1/deals/some-id")
        put = await api.put("/api/v1/deals/some-id", json={})
    for answer in (options, put):
        assert answer.status_code == 405, answer.text
        assert set(answer.headers["Allow"].split(", ")) == {"GET", "PATCH"}
        assert answer.json() == {"error": "Method Not Allowed", "detail": None}


async def test_unreadable_and_nul_input_is_refused_not_a_500(
    sqlite_sessions: SessionFactory, dev_env: WorkflowEnvironment
) -> None:
    async with api_client(settings_for(sqlite_sessions), dev_env.client) as api:
        latin1 = await api.patch(
            "/api/v1/deals/x", content=b'{"reason": "caf\xe9"}', headers={"Content-Type": "application/json"}
        )
        nul_body = await api.post("/api/v1/deals", json={"program": "P", "partner_id": "a\x00", "account_name": "A"})
        nul_path = await api.get("/api/v1/cohorts/a%00b")
        huge_version = await api.post("/api/v1/playbooks/quickstart-14d/preview", params={"version": 2**40})
    assert latin1.status_code == 422 and "utf-8" in latin1.json()["detail"][0]["message"], latin1.text
    assert nul_body.status_code == 422 and "partner_id" in {d["path"] for d in nul_body.json()["detail"]}
    assert nul_path.status_code == 404, nul_path.text
    assert huge_version.status_code == 422 and huge_version.json()["detail"][0]["path"] == "query.version"


async def test_a_utf16_deals_file_is_told_its_encoding(
    sqlite_sessions: SessionFactory, dev_env: WorkflowEnvironment
) -> None:
    await create_cohort(sqlite_sessions, [partner()])  # its program, "Test program"
    utf16 = "Opportunity ID,Opportunity Name,Stage\n006A,Contoso,Prospecting\n".encode("utf-16")
    async with api_client(settings_for(sqlite_sessions), dev_env.client) as api:
        answer = await api.post(
            "/api/v1/deals/import", files={"file": ("deals.csv", utf16, "text/csv")}, data={"program": "Test program"}
        )
    assert answer.status_code == 422, answer.text
    assert "UTF-16" in answer.json()["error"] and "CSV UTF-8" in answer.json()["error"], answer.text
    assert "format=salesforce" not in answer.text


def test_the_email_pattern_states_what_the_api_accepts() -> None:
    for raw in (" ana@partner.com\u3000", "\u0085ana@partner.com", "Ana@Partner.COM"):
        assert re.fullmatch(EMAIL_PATTERN, raw) and _email(raw) == "ana@partner.com", raw
    for raw in ("ana@partner", "a na@partner.com", "\x1cana@partner.com", "ana@partner.com\x00"):
        assert not re.fullmatch(EMAIL_PATTERN, raw), raw
        with pytest.raises(ValueError):
            _email(raw)
