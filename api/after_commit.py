"""Work a request hands to the outside world (Temporal starts and signals, email delivery) waits for its
transaction: queued while the request runs, run once the commit succeeded, dropped on rollback. So a
workflow never hears of a change the database does not hold (polar's JobQueueManager, per request)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import BackgroundTasks
from sqlalchemy.ext.asyncio import AsyncSession

from db.session import SessionFactory, transaction
from mail import EmailSender, deliver_all

Job = Callable[[], Awaitable[object]]
Undo = Callable[[AsyncSession], Awaitable[None]]


class AfterCommit:
    def __init__(self) -> None:
        self._jobs: list[Job] = []
        self._undo: list[Undo] = []
        self._emails: list[str] = []

    def run(self, job: Job) -> None:
        """Awaited after the commit and before the answer is sent: if it fails, the client gets the error
        (each job raises an AppError saying what was saved and what to repeat), never a silent success."""
        self._jobs.append(job)

    def deliver(self, outbox_ids: list[str]) -> None:
        """Emails already in the outbox, sent after the answer: a failed send stays visible in its row."""
        self._emails.extend(outbox_ids)

    def undo_on_failure(self, undo: Undo) -> None:
        """Committed state that must not outlive a failed job (a kept idempotent answer: the retry must run)."""
        self._undo.append(undo)

    async def flush(self, sessions: SessionFactory, mailer: EmailSender, background: BackgroundTasks) -> None:
        if self._emails:
            background.add_task(deliver_all, sessions, mailer, list(self._emails))
        try:
            for job in self._jobs:
                await job()
        except BaseException:
            if self._undo:
                async with transaction(sessions) as session:
                    for undo in self._undo:
                        await undo(session)
            raise
