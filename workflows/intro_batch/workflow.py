"""IntroBatchWorkflow: one AE's intro requests of one day, sent as one digest, reminded, escalated, answered.

Id `intros/<ae id>/<day>`: the request activity signals-with-start it, so every request of that day
joins the same run and the AE gets one email a day, however many partners and accounts ask. It stays
open while any emailed answer link is still valid, so an AE who answers after the PM was told is still
heard; it ends when every request is answered or the links have expired.

Partners' deal registrations on the AE's accounts join the same batch (`add_deals`, patch "deal-news"):
they ride in the day's intro digest, or make the day's digest on their own when no partner asked for an
intro; they need no answer, so a batch of deals only ends once its digest is sent.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.exceptions import ApplicationError

from workflows.waiting import until_or

with workflow.unsafe.imports_passed_through():
    from activities.intro_inputs import IntroMail, IntroMailKind, RecordIntroAnswer
    from activities.intros import IntroActivities
    from domain.schedule import reminder_at
    from workflows.intro_batch.messages import (
        IntroAnswer,
        IntroAnswerReceipt,
        IntroBatchAdd,
        IntroBatchDeals,
        IntroBatchInput,
    )
    from workflows.policies import DB_TIMEOUT, DB_WRITE, EMAIL_HEARTBEAT, EMAIL_SEND, EMAIL_TIMEOUT

# Deal registrations in the digest. Asked only when a batch has deals to send, which no run begun before
# the patch can have; its saved history is intro-batch-deal-news--v1.
DEAL_NEWS = "deal-news"


@workflow.defn
class IntroBatchWorkflow:
    def __init__(self) -> None:
        self._inp: IntroBatchInput | None = None
        self._requests: list[str] = []
        self._mailed: set[str] = set()
        self._deals: list[str] = []
        self._deals_mailed: set[str] = set()
        self._answering: set[str] = set()
        self._answered: set[str] = set()
        self._to_notify: list[str] = []
        self._added = False
        self._digests = 0
        self._send_now = False

    @workflow.signal
    def add_requests(self, add: IntroBatchAdd) -> None:
        # A retried request activity signals again: ids already here are no-ops.
        for request_id in add.request_ids:
            if request_id not in self._requests:
                self._requests.append(request_id)
                self._added = True

    @workflow.signal
    def add_deals(self, add: IntroBatchDeals) -> None:
        # A retried registration signals again: deals already here are no-ops.
        for deal_id in add.deal_ids:
            if deal_id not in self._deals:
                self._deals.append(deal_id)
                self._added = True

    @workflow.signal
    def send_now(self) -> None:
        """Send the digest before its time (an operator's nudge; the end-to-end test's clock)."""
        self._send_now = True

    @workflow.update
    async def answer(self, answer: IntroAnswer) -> IntroAnswerReceipt:
        assert self._inp
        self._answering.add(answer.request_id)
        try:
            receipt: IntroAnswerReceipt = await workflow.execute_activity_method(
                IntroActivities.record_intro_answer,
                RecordIntroAnswer(
                    ae_id=self._inp.ae_id,
                    request_id=answer.request_id,
                    answer=answer.answer,
                    note=answer.note,
                    answered_at=workflow.now(),
                ),
                start_to_close_timeout=DB_TIMEOUT,
                retry_policy=DB_WRITE,
            )
        finally:
            self._answering.discard(answer.request_id)
        self._answered.add(answer.request_id)
        self._to_notify.append(answer.request_id)  # the partner's email goes out from the main loop, retried
        return receipt

    @answer.validator
    def _validate_answer(self, answer: IntroAnswer) -> None:
        if answer.request_id not in self._requests:
            raise ApplicationError("this intro request is not in this batch", type="UnknownIntroRequest")
        if answer.request_id in self._answered or answer.request_id in self._answering:
            raise ApplicationError("this intro request is already answered", type="AlreadyAnswered")

    @workflow.query
    def unanswered(self) -> list[str]:
        return self._unanswered()

    def _unanswered(self) -> list[str]:
        return [r for r in self._requests if r not in self._answered]

    @workflow.run
    async def run(self, inp: IntroBatchInput) -> list[str]:
        """Returns the requests nobody answered."""
        self._inp = inp
        await until_or(lambda: self._send_now, inp.send_at, "digest send time")
        last_link = await self._send_new_requests()
        reminders, escalated = 0, False
        next_nudge = self._next_nudge(workflow.now())
        while self._unanswered() or self._to_notify:
            await self._notify_partners()
            if not self._unanswered():
                break
            if any(r not in self._mailed for r in self._requests) or self._unsent_deals():
                last_link = await self._send_new_requests()  # arrived after the digest: a short follow-up
                continue
            answers_until = last_link + timedelta(days=inp.link_max_age_days)
            if workflow.now() >= answers_until:
                break
            self._added = False
            await until_or(
                lambda: not self._unanswered() or self._added or bool(self._to_notify),
                answers_until if escalated else min(next_nudge, answers_until),
                "answer, reminder or escalation",
            )
            now = workflow.now()
            if escalated or now < next_nudge or not self._unanswered():
                continue
            if reminders < inp.max_reminders:
                reminders += 1
                await self._mail("reminder", reminders, self._unanswered())
                last_link = now
            else:
                await self._mail("escalation", 0, self._unanswered())
                escalated = True
            next_nudge = self._next_nudge(now)
        await workflow.wait_condition(workflow.all_handlers_finished)
        await self._notify_partners()
        if self._unsent_deals():  # registered while the batch was finishing
            await self._send_new_requests()
        return self._unanswered()

    def _next_nudge(self, after: datetime) -> datetime:
        assert self._inp
        inp = self._inp
        return reminder_at(after, inp.every_business_days, inp.timezone, inp.quiet_start, inp.quiet_end)

    def _unsent_deals(self) -> list[str]:
        return [d for d in self._deals if d not in self._deals_mailed]

    async def _send_new_requests(self) -> datetime:
        new = [r for r in self._requests if r not in self._mailed]
        deals = self._unsent_deals()
        if deals and not workflow.patched(DEAL_NEWS):
            self._deals_mailed.update(deals)  # never reached: only a patched run can have been sent deals
            deals = []
        if new or deals:
            await self._mail("digest", self._digests, new, deals)
            self._digests += 1
            self._mailed.update(new)
            self._deals_mailed.update(deals)
        return workflow.now()

    async def _notify_partners(self) -> None:
        while self._to_notify:
            request_id = self._to_notify[0]
            await self._mail("answered", 0, [request_id])
            self._to_notify.pop(0)

    async def _mail(
        self, kind: IntroMailKind, n: int, request_ids: list[str], deal_ids: list[str] | None = None
    ) -> None:
        assert self._inp
        mail = IntroMail(
            ae_id=self._inp.ae_id,
            day=self._inp.day,
            kind=kind,
            n=n,
            request_ids=request_ids,
            occurred_at=workflow.now(),
            deal_ids=deal_ids or [],
        )
        await workflow.execute_activity_method(
            IntroActivities.send_intro_mail,
            mail,
            start_to_close_timeout=EMAIL_TIMEOUT,
            heartbeat_timeout=EMAIL_HEARTBEAT,
            retry_policy=EMAIL_SEND,
        )
