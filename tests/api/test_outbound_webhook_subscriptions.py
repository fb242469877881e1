"""A PM subscribes a URL to a program's events: the secret is shown once, unsafe URLs are a 422 saying why,
changes are audited, and a rotated secret keeps the old one signing for the overlap."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from temporalio.testing import WorkflowEnvironment

from db.models import AuditLog
from db.session import SessionFactory, transaction
from db.webhook_models import WebhookSubscription
from tests.api.helpers import api_client
from tests.factories import create_cohort, partner, settings_for


@pytest.mark.timeout(120)
async def test_subscriptions_are_created_checked_changed_rotated_and_deleted(
    sessions: SessionFactory, dev_env: WorkflowEnvironment
) -> None:
    settings = settings_for(sessions, public_base_url="http://127.0.0.1:8000")
    await create_cohort(sessions, [partner()])
    async with api_client(settings, dev_env.client) as api:
        [program] = (await api.get("/api/v1/programs")).json()
        base = f"/api/v1/programs/{program['id']}/webhooks"
        body = {"url": "http://127.0.0.1:9/hooks", "events": ["journey.stage_entered", "deal.won"]}
        created = await api.post(base, json=body)
        assert created.status_code == 201, created.text
        sub = created.json()
        assert sub["secret"].startswith("whsec_") and sub["enabled"] is True
        assert sub["events"] == ["deal.won", "journey.stage_entered"]

        listed = (await api.get(base)).json()
        assert [s["id"] for s in listed] == [sub["id"]] and "secret" not in listed[0]
        assert "secret" not in (await api.get(f"{base}/{sub['id']}")).json()

        for url, why in [
            ("http://127.0.0.1:8000/api/v1/cohorts", "cosell itself"),
            ("http://169.254.169.254/latest/meta-data", "metadata"),
            ("ftp://receiver.example/x", "must use"),
        ]:
            bad = await api.post(base, json={**body, "url": url})
            assert bad.status_code == 422 and bad.json()["detail"][0]["path"] == "body.url", bad.text
            assert why in bad.text
        assert (await api.post(base, json={**body, "events": ["deal.maybe"]})).status_code == 422
        assert (await api.post("/api/v1/programs/nope/webhooks", json=body)).status_code == 404
        assert (await api.get(f"/api/v1/programs/nope/webhooks/{sub['id']}")).status_code == 404

        changed = await api.patch(f"{base}/{sub['id']}", json={"events": ["deal.lost"], "description": "CRM"})
        assert changed.status_code == 200 and changed.json()["events"] == ["deal.lost"]
        assert (await api.patch(f"{base}/{sub['id']}", json={"url": "http://10.0.0.1:8000/"})).status_code == 200
        assert (await api.patch(f"{base}/{sub['id']}", json={"url": "http://[fe80::1]/"})).status_code == 422

        rotated = await api.post(f"{base}/{sub['id']}/rotate-secret", json={"overlap_hours": 12})
        assert rotated.status_code == 200, rotated.text
        new_secret, until = rotated.json()["secret"], datetime.fromisoformat(rotated.json()["previous_expires_at"])
        assert new_secret != sub["secret"]
        assert timedelta(hours=11) < until - datetime.now(UTC) <= timedelta(hours=12)
        async with transaction(sessions) as session:
            stored = await session.get(WebhookSubscription, sub["id"])
            assert stored is not None and (stored.secret, stored.previous_secret) == (new_secret, sub["secret"])

        deleted = await api.delete(f"{base}/{sub['id']}")
        assert deleted.status_code == 204 and (await api.get(base)).json() == []

    async with transaction(sessions) as session:
        actions = list(await session.scalars(select(AuditLog.action).where(AuditLog.action.startswith("webhook_"))))
    assert sorted(actions) == sorted(
        ["webhook_created", "webhook_changed", "webhook_changed", "webhook_secret_rotated", "webhook_deleted"]
    )
