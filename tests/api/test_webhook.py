"""POST /webhooks/sendgrid: signatures over the raw body, freshness, dedupe, outbox states, signals, suppression."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import func, select
from temporalio.testing import WorkflowEnvironment

from api.webhooks.signature import SIGNATURE_HEADER, TIMESTAMP_HEADER
from db.models import EmailEvent, EmailOutbox, Suppression
from db.repositories import outbox
from db.session import SessionFactory, transaction
from tests.api.helpers import api_client
from tests.factories import settings_for
from tests.mail.helpers import queue, row, seed_journey
from tests.workflows.helpers import events


class Signer:
    """Stands in for SendGrid: a generated P-256 key pair, signing `timestamp + body` like the real one."""

    def __init__(self) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        der = self.key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        self.public_b64 = base64.b64encode(der).decode()

    def headers(self, body: bytes, timestamp: int | None = None) -> dict[str, str]:
        ts = str(timestamp if timestamp is not None else int(time.time()))
        signature = self.key.sign(ts.encode() + body, ec.ECDSA(hashes.SHA256()))
        return {SIGNATURE_HEADER: base64.b64encode(signature).decode(), TIMESTAMP_HEADER: ts}


SIGNER = Signer()


@pytest_asyncio.fixture
async def client(sessions: SessionFactory, dev_env: WorkflowEnvironment) -> AsyncIterator[httpx.AsyncClient]:
    settings = settings_for(sessions, sendgrid_webhook_public_key=SIGNER.public_b64)
    async with api_client(settings, dev_env.client) as http:
        yield http


@pytest_asyncio.fixture
async def sqlite_client(
    sqlite_sessions: SessionFactory, dev_env: WorkflowEnvironment
) -> AsyncIterator[httpx.AsyncClient]:
    """For behaviour that no database can change (signatures, classification): SQLite only, to stay fast."""
    settings = settings_for(sqlite_sessions, sendgrid_webhook_public_key=SIGNER.public_b64)
    async with api_client(settings, dev_env.client) as http:
        yield http


def body_of(*events: dict[str, Any]) -> bytes:
    return (json.dumps(list(events)) + "\r\n").encode()  # SendGrid's bodies end with CRLF


def event(kind: str, outbox_id: str | None, email: str = "a@b.example", n: int = 1, **extra: Any) -> dict[str, Any]:
    found = {"email": email, "event": kind, "timestamp": int(time.time()), "sg_event_id": f"{kind}-{outbox_id}-{n}"}
    if outbox_id:
        found["cosell_outbox_id"] = outbox_id
    return {**found, **extra}


async def post(client: httpx.AsyncClient, *events: dict[str, Any]) -> httpx.Response:
    body = body_of(*events)
    return await client.post("/webhooks/sendgrid", content=body, headers=SIGNER.headers(body))


async def mark_sent(sessions: SessionFactory, outbox_id: str, message_id: str = "X-Message-Id-1") -> str:
    async with transaction(sessions) as session:
        await outbox.claim(session, outbox_id)
        await outbox.finish(session, outbox_id, "sent", provider_message_id=message_id)
    return outbox_id


async def stored_events(sessions: SessionFactory) -> int:
    async with transaction(sessions) as session:
        return int(await session.scalar(select(func.count()).select_from(EmailEvent)) or 0)


class TestSignature:
    async def test_valid_signature_over_the_exact_bytes_is_accepted(
        self, sqlite_client: httpx.AsyncClient, sqlite_sessions: SessionFactory
    ) -> None:
        response = await post(sqlite_client, event("processed", None))
        assert response.status_code == 200 and response.json() == {"received": 1, "new": 1, "ignored": 0}
        assert await stored_events(sqlite_sessions) == 1

    async def test_tampered_stale_garbage_and_foreign_signatures_are_refused(
        self, sqlite_client: httpx.AsyncClient, sqlite_sessions: SessionFactory
    ) -> None:
        body = body_of(event("delivered", None))
        good = SIGNER.headers(body)
        reserialised = json.dumps(json.loads(body)).encode()  # same JSON, without SendGrid's CRLF
        cases = {
            "tampered body": (body.replace(b"delivered", b"bounce"), good),
            "re-serialised body": (reserialised, good),
            # An hour either side of a 300 s window: far from its edge however slow the request is.
            "stale timestamp": (body, SIGNER.headers(body, int(time.time()) - 3600)),
            "future timestamp": (body, SIGNER.headers(body, int(time.time()) + 3600)),
            "timestamp swapped": (body, {**good, TIMESTAMP_HEADER: str(int(good[TIMESTAMP_HEADER]) - 1)}),
            "garbage signature": (body, {**good, SIGNATURE_HEADER: "not base64 at all!!"}),
            "wrong-length base64": (body, {**good, SIGNATURE_HEADER: "QUJD"}),
            "empty signature": (body, {**good, SIGNATURE_HEADER: ""}),
            "no headers": (body, {}),
            "non-numeric timestamp": (body, {**good, TIMESTAMP_HEADER: "yesterday"}),
            "another key": (body, Signer().headers(body)),
        }
        for name, (content, headers) in cases.items():
            response = await sqlite_client.post("/webhooks/sendgrid", content=content, headers=headers)
            assert response.status_code == 403, name
        assert await stored_events(sqlite_sessions) == 0

    async def test_not_configured_refuses_everything(self, sqlite_sessions: SessionFactory, dev_env) -> None:  # type: ignore[no-untyped-def]
        async with api_client(settings_for(sqlite_sessions), dev_env.client) as http:
            body = body_of(event("processed", None))
            response = await http.post("/webhooks/sendgrid", content=body, headers=SIGNER.headers(body))
        assert response.status_code == 403

    async def test_signed_but_malformed_payloads(self, sqlite_client: httpx.AsyncClient) -> None:
        for content, status in ((b'{"event": "open"}', 400), (b"not json", 400)):
            assert (
                await sqlite_client.post("/webhooks/sendgrid", content=content, headers=SIGNER.headers(content))
            ).status_code == status
        response = await post(sqlite_client, {"event": "open"}, event("processed", None))  # type: ignore[arg-type]
        assert response.json() == {"received": 2, "new": 1, "ignored": 1}


class TestEvents:
    async def test_ambiguous_send_is_settled_and_status_only_moves_forward(
        self, client: httpx.AsyncClient, sessions: SessionFactory
    ) -> None:
        outbox_id = await queue(sessions)
        async with transaction(sessions) as session:
            await outbox.claim(session, outbox_id)
            await outbox.finish(session, outbox_id, "unknown", error="read timeout")
        assert (await post(client, event("processed", outbox_id))).status_code == 200
        assert (await row(sessions, outbox_id)).status == "sent"
        await post(client, event("delivered", outbox_id))
        await post(client, event("deferred", outbox_id))  # late and out of order: ignored for status
        stored = await row(sessions, outbox_id)
        assert stored.status == "delivered" and stored.delivered_at is not None

    async def test_redelivered_batches_are_stored_and_applied_once(
        self, client: httpx.AsyncClient, sessions: SessionFactory
    ) -> None:
        jid, contact = await seed_journey(sessions)
        outbox_id = await queue(sessions, f"{jid}/icp/invite/0", to_email=contact, journey_id=jid)
        batch = [event("delivered", outbox_id, contact), event("open", outbox_id, contact, sg_machine_open=False)]
        first, again = await post(client, *batch), await post(client, *batch)
        assert (first.json()["new"], again.json()["new"]) == (2, 0)
        # SendGrid has redelivered with new event ids: the timeline still counts one open per email.
        await post(client, event("open", outbox_id, contact, n=2), event("click", outbox_id, contact, n=2))
        kinds = [(e.kind, e.step_key) for e in await events(sessions, jid)]
        assert kinds.count(("email_opened", "icp")) == 1 and kinds.count(("email_delivered", "icp")) == 1
        assert ("email_clicked", "icp") in kinds
        stored = await row(sessions, outbox_id)
        assert stored.opened_at is not None and stored.clicked_at is not None
        assert await stored_events(sessions) == 4

    async def test_hard_bounce_suppresses_the_contact_and_alerts_the_pm_once(
        self, client: httpx.AsyncClient, sessions: SessionFactory
    ) -> None:
        jid, contact = await seed_journey(sessions)
        outbox_id = await mark_sent(
            sessions, await queue(sessions, f"{jid}/icp/invite/0", to_email=contact, journey_id=jid)
        )
        bounce = event("bounce", outbox_id, contact, type="bounce", reason="550 5.1.1 no such user", status="5.1.1")
        await post(client, bounce)
        await post(client, {**bounce, "sg_event_id": "bounce-again"})
        async with transaction(sessions) as session:
            suppression = await session.get(Suppression, contact)
            alerts = list(await session.scalars(select(EmailOutbox).where(EmailOutbox.kind == "pm_alert")))
            [stored] = await session.scalars(select(EmailEvent).limit(1))
        assert suppression is not None and (suppression.scope, suppression.reason) == ("all", "bounce")
        assert (await row(sessions, outbox_id)).status == "bounced"
        assert [(a.to_email, a.status) for a in alerts] == [("pm@vendor.example", "sent")]
        assert contact in alerts[0].text and "hard bounce" in alerts[0].text
        kinds = [e.kind for e in await events(sessions, jid)]
        assert kinds.count("contact_unreachable") == 1 and "email_bounced" in kinds
        assert stored.data == {"type": "bounce", "reason": "550 5.1.1 no such user", "status": "5.1.1"}

    @pytest.mark.parametrize(
        ("payload", "scope"),
        [
            ({"event": "bounce", "type": "blocked"}, None),
            ({"event": "dropped", "reason": "Bounced Address"}, "all"),
            ({"event": "dropped", "reason": "Spam Content"}, None),
            ({"event": "spamreport"}, "all"),
            ({"event": "unsubscribe"}, "reminders"),
        ],
    )
    async def test_which_events_suppress(
        self,
        sqlite_client: httpx.AsyncClient,
        sqlite_sessions: SessionFactory,
        payload: dict[str, str],
        scope: str | None,
    ) -> None:
        await post(sqlite_client, {**event(payload["event"], None, "who@partner.example"), **payload})
        async with transaction(sqlite_sessions) as session:
            found = await session.get(Suppression, "who@partner.example")
        assert (found.scope if found else None) == scope

    async def test_events_without_our_id_are_matched_by_message_id_and_keep_no_urls(
        self, client: httpx.AsyncClient, sessions: SessionFactory
    ) -> None:
        outbox_id = await mark_sent(sessions, await queue(sessions), "LRzXl_NHStOGhQ4kofSm_A")
        click = event("click", None, sg_message_id="LRzXl_NHStOGhQ4kofSm_A.filterdrecv-1", url="https://x/p/TOKEN")
        await post(client, click)
        async with transaction(sessions) as session:
            [stored] = await session.scalars(select(EmailEvent))
        assert stored.outbox_id == outbox_id and "TOKEN" not in json.dumps(stored.data)
        assert (await row(sessions, outbox_id)).clicked_at is not None
