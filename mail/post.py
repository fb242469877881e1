"""The one way to send an email: write it in a transaction, deliver it after that transaction commits.

    async with mailer.post() as post:       # one transaction
        ...                                 # the business writes, through post.session
        await post.send(Email(...))         # rendered and written to the outbox, in that transaction
    return post.status                      # delivered after commit: sent | unknown | suppressed | ...

Delivery is the outbox's claim -> send -> record (mail.delivery), so a retried caller never sends twice.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncSession

from db.session import SessionFactory, transaction
from mail.delivery import deliver
from mail.queue import Email, queue
from mail.render import EmailRenderer
from mail.sender import EmailSender

NOTHING_SENT = "nothing-sent"


class Post:
    """The emails of one transaction; delivered in order once it has committed (never on rollback)."""

    def __init__(self, session: AsyncSession, mailer: Mailer):
        self.session, self._mailer = session, mailer
        self.queued: list[tuple[str, str | None]] = []
        self.statuses: list[str] = []

    async def send(self, email: Email) -> str:
        outbox_id, _ = await queue(self.session, email, self._mailer.name, self._mailer.renderer)
        self.queued.append((outbox_id, email.reply_to))
        return outbox_id

    @property
    def status(self) -> str:
        """The last delivery's outcome (a caller sending one email reports it as its own)."""
        return self.statuses[-1] if self.statuses else NOTHING_SENT


class Mailer:
    def __init__(self, sessions: SessionFactory, sender: EmailSender, renderer: EmailRenderer | None = None):
        self.sessions, self.sender = sessions, sender
        self.renderer = renderer or EmailRenderer()

    @property
    def name(self) -> str:
        return self.sender.name

    @asynccontextmanager
    async def post(self) -> AsyncIterator[Post]:
        async with transaction(self.sessions) as session:
            post = Post(session, self)
            yield post
        for outbox_id, reply_to in post.queued:
            post.statuses.append(await deliver(self.sessions, self.sender, outbox_id, reply_to))

    async def send(self, email: Email) -> str:
        """One email on its own: its own transaction, delivered after it commits."""
        async with self.post() as post:
            await post.send(email)
        return post.status
