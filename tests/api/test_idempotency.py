"""Idempotency-Key on the PM API (issue 15, defect 1): a key is scoped to the caller and the operation,
a retry of the same request gets the first answer, the key reused with a different request is refused."""

from __future__ import annotations

import asyncio

import httpx
from sqlalchemy import func, select
from temporalio.testing import WorkflowEnvironment

from db.cosell_models import Deal
from db.models import AuditLog, IdempotencyRecord
from db.session import SessionFactory, transaction
from tests.api.helpers import api_client
from tests.api.test_deal_import import CRM
from tests.api.test_deals import deal, post, seed
from tests.factories import cohort_body, create_cohort, partner, settings_for
from tests.workflows.helpers import running_worker

K = {"Idempotency-Key": "K"}


async def wait_for_status(api: httpx.AsyncClient, cohort_id: str, status: str) -> None:
    seen = None
    for _ in range(200):
        seen = (await api.get(f"/api/v1/cohorts/{cohort_id}")).json()["status"]
        if seen == status:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"cohort {cohort_id} never became {status}; last seen {seen}")


async def count(sessions: SessionFactory, *where: object) -> int:
    async with transaction(sessions) as session:
        return await session.scalar(select(func.count()).select_from(AuditLog).where(*where)) or 0


class TestOneKeyAcrossOperations:
    async def test_a_deal_key_is_not_replayed_for_a_pause_a_missing_cohort_or_an_import(
        self, dev_env: WorkflowEnvironment, sessions: SessionFactory
    ) -> None:
        await seed(sessions)
        settings = settings_for(sessions)
        async with running_worker(dev_env.client, settings, sessions), api_client(settings, dev_env.client) as api:
            other = (await api.post("/api/v1/cohorts", json=cohort_body([partner("Alpha")]))).json()["id"]
            deal_id = (await post(api, deal())).json()["id"]
            patched = await api.patch(f"/api/v1/deals/{deal_id}", json={"amount": 200000}, headers=K)
            assert patched.status_code == 200, patched.text

            paused = await api.post(f"/api/v1/cohorts/{other}/pause", headers=K)
            assert paused.status_code == 202, paused.text
            assert (paused.json()["cohort_id"], paused.json()["action"]) == (other, "pause")
            await wait_for_status(api, other, "paused")
            assert await count(sessions, AuditLog.action == "pause", AuditLog.cohort_id == other) == 1

            missing = await api.post("/api/v1/cohorts/does-not-exist/close", headers=K)
            assert missing.status_code == 404, missing.text

            content = (CRM / "opportunities_salesforce.csv").read_bytes()
            imported = await api.post(
                "/api/v1/deals/import",
                files={"file": ("o.csv", content, "text/csv")},
                data={"program": "Test program"},
                headers=K,
            )
            assert imported.status_code == 200, imported.text
            assert imported.json()["created"] == 3


class TestReplay:
    async def test_the_same_request_gets_the_first_answer_and_a_different_one_is_refused(
        self, dev_env: WorkflowEnvironment, sessions: SessionFactory
    ) -> None:
        await seed(sessions)
        async with api_client(settings_for(sessions), dev_env.client) as api:
            deal_id = (await post(api, deal())).json()["id"]
            url = f"/api/v1/deals/{deal_id}"
            first = await api.patch(url, json={"amount": 200000, "reason": "call"}, headers=K)
            # The same body with its keys in another order is the same request.
            again = await api.patch(url, json={"reason": "call", "amount": 200000}, headers=K)
            assert (first.status_code, again.status_code) == (200, 200)
            assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
            assert await count(sessions, AuditLog.action == "deal_updated") == 1

            other = await api.patch(url, json={"amount": 1}, headers=K)
            assert other.status_code == 422, other.text
            assert "already used for a different request" in other.json()["error"]
            assert (await api.get(url)).json()["amount"] == 200000

    async def test_an_import_replays_its_result_and_a_different_file_is_refused(
        self, dev_env: WorkflowEnvironment, sessions: SessionFactory
    ) -> None:
        await seed(sessions)
        async with api_client(settings_for(sessions), dev_env.client) as api:
            content = (CRM / "opportunities_salesforce.csv").read_bytes()

            async def upload(body: bytes) -> httpx.Response:
                files = {"file": ("o.csv", body, "text/csv")}
                return await api.post("/api/v1/deals/import", files=files, data={"program": "Test program"}, headers=K)

            first, again = await upload(content), await upload(content)
            assert (first.status_code, again.status_code) == (200, 200), first.text
            assert first.json()["created"] == 4
            assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
            changed = await upload(content.replace(b"Closed Won", b"Prospecting", 1))
            assert changed.status_code == 422 and "different request" in changed.json()["error"]
            async with transaction(sessions) as session:
                assert await session.scalar(select(func.count()).select_from(Deal)) == 4

    async def test_a_failed_request_keeps_nothing_so_its_retry_runs(
        self, dev_env: WorkflowEnvironment, sessions: SessionFactory
    ) -> None:
        await seed(sessions)
        async with api_client(settings_for(sessions), dev_env.client) as api:
            deal_id = (await post(api, deal())).json()["id"]
            url = f"/api/v1/deals/{deal_id}"
            refused = await api.patch(url, json={"stage": "open"}, headers=K)
            assert refused.status_code == 409
            assert (await api.patch(url, json={"stage": "open"}, headers=K)).status_code == 409
            accepted = await api.patch(url, json={"stage": "accepted"}, headers={"Idempotency-Key": "K2"})
            assert accepted.status_code == 200


class TestWorkAfterCommit:
    async def test_a_signal_that_fails_after_commit_is_an_error_and_its_retry_runs_again(
        self, dev_env: WorkflowEnvironment, sessions: SessionFactory
    ) -> None:
        # The cohort exists in the database but its window workflow was never started: the signal,
        # sent only after the commit, finds no workflow.
        cohort = await create_cohort(sessions, [partner("Alpha")])
        async with api_client(settings_for(sessions), dev_env.client) as api:
            first = await api.post(f"/api/v1/cohorts/{cohort.id}/pause", headers=K)
            assert first.status_code == 409 and "already ended" in first.json()["error"], first.text
            async with transaction(sessions) as session:
                kept = await session.scalar(select(func.count()).select_from(IdempotencyRecord))
            assert kept == 0  # the answer was not kept, so the retry is not a replay of a success
            again = await api.post(f"/api/v1/cohorts/{cohort.id}/pause", headers=K)
            assert again.status_code == 409 and "idempotent-replayed" not in again.headers
