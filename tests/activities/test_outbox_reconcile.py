"""The sweeper settles `unknown` sends by asking SendGrid's Email Activity API (the local fake, through the
real SDK): found -> `sent`, never resent; provably not found -> sent once, however often the sweep runs;
SendGrid unreachable -> left `unknown` and asked again. With SMTP, which cannot be asked, such a row is
`unsettled` after the query delay and never resent."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from sqlalchemy import update
from temporalio.testing import ActivityEnvironment

from activities.sweeper import SMTP_UNSETTLED_WHY, UNSETTLED_WHY, SweeperActivities, SweepResult
from db.models import EmailOutbox, utcnow
from db.repositories import outbox
from db.session import SessionFactory, transaction
from mail.render import EmailRenderer
from settings import Settings
from tests.factories import settings_for
from tests.fakes.sendgrid import API_KEY, FakeSendGrid
from tests.mail.helpers import queue, row
from wiring import make_sender, make_signer

QUERY_AFTER = timedelta(seconds=1800)  # the default query delay


async def sweep(settings: Settings, sessions: SessionFactory, now: datetime | None = None) -> SweepResult:
    family = SweeperActivities(sessions, make_sender(settings), make_signer(settings), EmailRenderer(), settings)
    return await ActivityEnvironment().run(family.sweep_outbox, now or utcnow())


async def left_unknown(sessions: SessionFactory, outbox_id: str, claimed_ago: timedelta) -> None:
    """What a worker killed mid-send leaves: a claim whose outcome nobody recorded."""
    async with transaction(sessions) as session:
        assert await outbox.claim(session, outbox_id) is not None
        claimed_at = utcnow() - claimed_ago
        await session.execute(
            update(EmailOutbox).where(EmailOutbox.id == outbox_id).values(status="unknown", claimed_at=claimed_at)
        )


def sendgrid(sessions: SessionFactory, fake: FakeSendGrid) -> Settings:
    return settings_for(sessions, email_backend="sendgrid", sendgrid_api_key=API_KEY, sendgrid_host=fake.url)


async def test_a_send_sendgrid_accepted_is_marked_sent_and_not_resent(sqlite_sessions: SessionFactory) -> None:
    accepted, young = await queue(sqlite_sessions), await queue(sqlite_sessions)
    await left_unknown(sqlite_sessions, accepted, timedelta(hours=1))
    await left_unknown(sqlite_sessions, young, QUERY_AFTER / 3)  # SendGrid's activity feed may not show it yet
    with FakeSendGrid() as fake:
        fake.accepted[accepted] = "14c5d75ce93.dfd.64b469.filter-1.0"  # the request got there before the kill
        assert await sweep(sendgrid(sqlite_sessions, fake), sqlite_sessions) == SweepResult(reconciled={"confirmed": 1})
    assert fake.requests == [] and len(fake.searches) == 1, fake.searches
    assert fake.searches[0] == f"""unique_args['cosell_outbox_id']="{accepted}\""""
    settled = await row(sqlite_sessions, accepted)
    assert (settled.status, settled.provider_message_id, settled.resent_at) == (
        "sent",
        "14c5d75ce93.dfd.64b469.filter-1.0",
        None,
    )
    assert (await row(sqlite_sessions, young)).status == "unknown"


async def test_a_send_sendgrid_never_received_is_sent_once_however_often_swept(
    sqlite_sessions: SessionFactory,
) -> None:
    lost = await queue(sqlite_sessions)
    await left_unknown(sqlite_sessions, lost, timedelta(hours=1))
    with FakeSendGrid() as fake:
        settings = sendgrid(sqlite_sessions, fake)
        first, second = await asyncio.gather(sweep(settings, sqlite_sessions), sweep(settings, sqlite_sessions))
        third = await sweep(settings, sqlite_sessions, utcnow() + timedelta(hours=2))
    assert len(fake.requests) == 1, fake.requests
    # The sweep that won the resend claim sent it; the other found it claimed or already at SendGrid.
    outcomes = [*first.reconciled, *second.reconciled]
    assert "sent" in outcomes and set(outcomes) <= {"sent", "kept", "confirmed"}, (first, second)
    assert third == SweepResult()
    resent = await row(sqlite_sessions, lost)
    assert (resent.status, resent.attempts, resent.resent_at is not None) == ("sent", 2, True)
    assert resent.provider_message_id and fake.accepted[lost].startswith(resent.provider_message_id)


async def test_a_sweep_that_died_mid_resend_never_sends_again(sqlite_sessions: SessionFactory) -> None:
    lost = await queue(sqlite_sessions)
    await left_unknown(sqlite_sessions, lost, timedelta(hours=2))
    async with transaction(sqlite_sessions) as session:  # the resend was claimed, then the sweep's worker died
        assert await outbox.claim_resend(session, lost) is not None
        await session.execute(
            update(EmailOutbox).where(EmailOutbox.id == lost).values(claimed_at=utcnow() - timedelta(hours=1))
        )
    with FakeSendGrid() as fake:
        result = await sweep(sendgrid(sqlite_sessions, fake), sqlite_sessions)
    # The dead resend's claim becomes `unknown` again; SendGrid has no such message (the request never left),
    # but the row had its one resend: it waits for the settling window and the PM instead.
    assert result == SweepResult(delivered={"unknown": 1}, reconciled={"kept": 1}), result
    assert fake.requests == [] and (await row(sqlite_sessions, lost)).status == "unknown"


async def test_while_sendgrid_cannot_be_asked_the_row_stays_unknown(sqlite_sessions: SessionFactory) -> None:
    first, second = await queue(sqlite_sessions), await queue(sqlite_sessions)
    await left_unknown(sqlite_sessions, first, timedelta(hours=2))
    await left_unknown(sqlite_sessions, second, timedelta(hours=1))
    with FakeSendGrid() as fake:
        settings = sendgrid(sqlite_sessions, fake)
        fake.lookups.append((503, {"errors": [{"message": "service unavailable"}]}))
        down = await sweep(settings, sqlite_sessions)
        assert (down, len(fake.searches), fake.requests) == (SweepResult(reconciled={"unanswered": 1}), 1, [])
        assert {(await row(sqlite_sessions, i)).status for i in (first, second)} == {"unknown"}

        fake.lookups.append((403, {"errors": [{"message": "access forbidden"}]}))  # no Email Activity add-on
        assert await sweep(settings, sqlite_sessions) == SweepResult(reconciled={"unanswered": 1})

        back = await sweep(settings, sqlite_sessions)  # SendGrid answers again: both were never received
        assert back == SweepResult(reconciled={"sent": 2}) and len(fake.requests) == 2, (back, fake.requests)

        # Past the two-day settling window, a row SendGrid never answered for would be `unsettled`.
        never = await queue(sqlite_sessions)
        await left_unknown(sqlite_sessions, never, timedelta(hours=1))
        fake.lookups.append((429, None))
        late = await sweep(settings, sqlite_sessions, utcnow() + timedelta(days=3))
    assert late == SweepResult(reconciled={"unanswered": 1}, unsettled=1), late
    assert ((await row(sqlite_sessions, never)).status, (await row(sqlite_sessions, never)).error) == (
        "unsettled",
        UNSETTLED_WHY,
    )


async def test_with_smtp_an_unknown_send_is_unsettled_after_the_query_delay_never_resent(
    sqlite_sessions: SessionFactory,
) -> None:
    old, young = await queue(sqlite_sessions), await queue(sqlite_sessions)
    await left_unknown(sqlite_sessions, old, QUERY_AFTER * 2)
    await left_unknown(sqlite_sessions, young, QUERY_AFTER / 3)
    # Nothing listens on the relay's port: a send would fail and leave the row `pending`, not `unsettled`.
    settings = settings_for(sqlite_sessions, email_backend="smtp", smtp_host="127.0.0.1", smtp_port=9)
    assert await sweep(settings, sqlite_sessions) == SweepResult(unsettled=1)
    assert ((await row(sqlite_sessions, old)).status, (await row(sqlite_sessions, old)).error) == (
        "unsettled",
        SMTP_UNSETTLED_WHY,
    )
    assert (await row(sqlite_sessions, young)).status == "unknown"
