"""Intro requests: write them, batch them per AE per day, email the digest, remind, escalate, record answers.

Every write is keyed by business identity (request id = journey/step/account; outbox keys per AE and
day), so a retried activity or a replayed workflow never writes or sends twice.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncSession
from temporalio import activity
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError

from activities import ae_deal_news as deal_news
from activities.family import ActivityFamily
from activities.intro_inputs import INTRO_ANSWER_STATUS, IntroMail, IntrosRequested, RecordIntroAnswer, RequestIntros
from db.cosell_models import AccountExecutive, IntroRequest, VendorAccount
from db.models import Cohort, Program
from db.repositories import intros, journeys, partners
from db.repositories.intros import OPEN
from db.repositories.trust import recompute_trust
from db.session import transaction
from db.views import seller as seller_links
from db.views.intros import ANSWER_WORDS, IntroView, intro_view
from db.views.journeys import journey_facts
from domain.ae_digest import AE_TIMEZONE, digest_slot
from domain.ae_digest import next_day as _next_day
from domain.ae_digest import send_at as _send_at
from domain.links import IntroClaims
from mail import Email
from mail.notices import address_key
from workflows.intro_batch.messages import IntroAnswerReceipt, IntroBatchAdd, IntroBatchInput, intro_batch_id
from workflows.journey.tell import tell_recorded

NEXT_STEPS = {
    "accepted": "Reply to this email within a day with two or three times for a 20-minute account planning call, "
    "and bring your account notes.",
    "declined": "Nothing to do on this account for now. Pick another account from your overlap where the timing fits.",
    "not_now": "The timing is not right yet. Keep the account warm and ask again when something changes there.",
}


def request_id_for(journey_id: str, step_key: str, vendor_account_id: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"intro/{journey_id}/{step_key}/{vendor_account_id}"))


class IntroActivities(ActivityFamily):
    # --- requests -> batches ------------------------------------------------------------------

    @activity.defn
    async def request_intros(self, req: RequestIntros) -> IntrosRequested:
        """Write one request per overlapping account (again checking the overlap: the page checked it, but
        a list deleted since then must not leak an account) and hand each to its AE's batch of the day."""
        async with transaction(self._sessions) as session:
            facts = await journey_facts(session, req.journey_id)
            if facts is None:
                raise ApplicationError(f"journey {req.journey_id} not found", type="NotFound", non_retryable=True)
            overlap = await intros.overlap_owners(session, req.partner_id, req.accounts)
            day, _ = digest_slot(req.requested_at)
            ids, skipped = [], []
            for account_id in req.accounts:
                if account_id not in overlap:
                    skipped.append(account_id)
                    continue
                name, ae_id = overlap[account_id]
                ids.append(await _write_request(session, req, facts.journey.stage, account_id, name, ae_id, day))
            if skipped:
                activity.logger.warning("%s: %d accounts are no longer in the overlap", req.journey_id, len(skipped))
            step = facts.playbook.step(req.step_key)
            cadence = step.reminders or facts.playbook.reminders
            quiet = facts.playbook.quiet_hours
            requests = await intros.by_ids(session, ids)
        for batch_id, members in _by_batch(requests).items():
            ae_id, day = batch_id.split("/")[1], batch_id.split("/")[2]
            template = IntroBatchInput(
                ae_id=ae_id,
                day=day,
                send_at=_send_at(date.fromisoformat(day), AE_TIMEZONE),
                every_business_days=cadence.every_business_days,
                max_reminders=cadence.max_reminders,
                timezone=AE_TIMEZONE,
                quiet_start=quiet.start,
                quiet_end=quiet.end,
                link_max_age_days=self._settings.link_max_age_days,
            )
            await self._join_batch(template, members)
        return IntrosRequested(request_ids=ids, skipped=skipped)

    async def _join_batch(self, inp: IntroBatchInput, request_ids: list[str]) -> None:
        """Signal-with-start the AE's batch; a batch of that day that already finished (everything answered)
        cannot be reopened, so the requests move to the AE's next digest day instead."""
        # Imported here: the batch workflow imports this module for its typed activity references.
        from workflows.intro_batch.workflow import IntroBatchWorkflow

        client = activity.client()
        for _ in range(14):
            try:
                await client.start_workflow(
                    IntroBatchWorkflow.run,
                    inp,
                    id=intro_batch_id(inp.ae_id, inp.day),
                    task_queue=activity.info().task_queue,
                    id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                    start_signal=IntroBatchWorkflow.add_requests.__name__,  # the signal is named after its handler
                    start_signal_args=[IntroBatchAdd(request_ids=request_ids)],
                )
            except WorkflowAlreadyStartedError:
                day, send_at = _next_day(inp.day)
                inp = inp.model_copy(update={"day": day, "send_at": send_at})
                async with transaction(self._sessions) as session:
                    await intros.move_to_batch(session, request_ids, intro_batch_id(inp.ae_id, day))
                continue
            return
        raise ApplicationError("no open digest day found in two weeks", type="NoBatch", non_retryable=True)

    # --- emails of a batch --------------------------------------------------------------------

    @activity.defn
    async def send_intro_mail(self, mail: IntroMail) -> str:
        if mail.kind == "answered":
            return await self._answered_mail(mail)
        if mail.kind == "escalation":
            return await self._escalation(mail)
        async with self._mail.post() as post:
            session = post.session
            ae = await session.get(AccountExecutive, mail.ae_id)
            if ae is None:
                raise ApplicationError(f"AE {mail.ae_id} not found", type="NotFound", non_retryable=True)
            views = await _open_views(session, mail.request_ids)  # a reminder never chases an answered one
            kind, key = deal_news.digest_key(mail, bool(views))
            deals = await deal_news.digest_deals(session, self._signer, self.link, mail, key)
            if not views and not deals:
                return "nothing-to-send"
            partner_names = sorted({v.partner.name for v in views})
            await post.send(
                Email(
                    kind=kind,
                    dedupe_key=key,
                    to_email=ae.email,
                    to_name=ae.name,
                    subject=deal_news.subject(mail, partner_names, len(views), deals),
                    template="intro_digest",
                    context=dict(
                        program_name=views[0].program_name if views else deals[0]["program_name"],
                        ae_name=ae.name,
                        kind=mail.kind,
                        requests=[await self._entry(session, v) for v in views],
                        deals=deals,
                    ),
                )
            )
            if mail.kind == "reminder":
                for view in views:  # "reminders needed" is a behavior signal of the AE side, on the timeline
                    await journeys.append_event(
                        session,
                        f"{view.request.journey_id}/intro/{view.request.id}/reminded/{mail.n}",
                        view.request.journey_id,
                        "intro_reminded",
                        await _stage(session, view.request.journey_id),
                        view.request.step_key,
                        mail.occurred_at,
                        {"request_id": view.request.id, "n": mail.n, "ae": ae.name},
                    )
            if mail.kind == "digest":
                await intros.mark_sent(session, [v.request.id for v in views], mail.occurred_at)
        return post.status

    async def _entry(self, session: AsyncSession, view: IntroView) -> dict:
        token = self._signer.sign_intro(IntroClaims(request_id=view.request.id, ae_id=view.ae.id))
        link = self.link("/ae/intro", token)
        request = view.request
        seller = await seller_links.claims_for(
            session, request.journey_id, view.ae.id, view.account.id, step_key=request.step_key
        )
        return dict(
            partner_name=view.partner.name,
            account_name=view.account.name,
            segment=view.account.segment,
            reason=view.request.reason,
            one_pager=view.one_pager,
            link=link,
            accept=f"{link}?answer=accept",
            decline=f"{link}?answer=decline",
            not_now=f"{link}?answer=not_now",
            seller=self.link("/ae/seller", self._signer.sign_seller(seller)) if seller else "",
        )

    async def _escalation(self, mail: IntroMail) -> str:
        """Tell each PM whose partners are waiting; the requests stay answerable."""
        async with self._mail.post() as post:
            session = post.session
            ae = await session.get(AccountExecutive, mail.ae_id)
            views = await _open_views(session, mail.request_ids)
            if ae is None or not views:
                return "nothing-to-send"
            # Each waiting partner's owner hears about it, else its program's PM: one email per address.
            by_recipient: dict[tuple[str, str], list[IntroView]] = defaultdict(list)
            for view in views:
                journey = await journeys.get_journey(session, view.request.journey_id)
                cohort = await session.get(Cohort, journey.cohort_id) if journey else None
                if journey is None or cohort is None:
                    continue
                program = await session.get(Program, cohort.program_id)
                by_recipient[(cohort.program_id, await partners.alert_address(session, view.partner, program))].append(
                    view
                )
                await journeys.append_event(
                    session,
                    f"{journey.id}/intro/{view.request.id}/escalated",
                    journey.id,
                    "intro_escalated",
                    journey.stage,
                    view.request.step_key,
                    mail.occurred_at,
                    {"request_id": view.request.id, "account": view.account.name, "ae": ae.name},
                )
            await intros.mark_escalated(session, [v.request.id for v in views])
            for (program_id, to_email), waiting in by_recipient.items():
                program = await session.get(Program, program_id)
                if program is not None and to_email:
                    await post.send(_escalation_email(mail, ae, program, to_email, waiting, self.link("/partners", "")))
        return f"escalated to {len(post.statuses)} program manager(s)"

    async def _answered_mail(self, mail: IntroMail) -> str:
        """'<AE> accepted your intro request for <account>', to the partner contact, with what to do next."""
        async with self._mail.post() as post:
            session = post.session
            view = await intro_view(session, mail.request_ids[0])
            if view is None or not view.answered:
                return "nothing-to-send"
            contact = await partners.primary_contact(session, view.partner.id)
            if contact is None:
                return "no-contact"
            status = view.request.status
            await post.send(
                Email(
                    kind="intro_answered",
                    dedupe_key=f"intro-answered/{view.request.id}",
                    to_email=contact.email,
                    to_name=contact.name,
                    subject=f"{view.ae.name} {ANSWER_WORDS[status]} your intro request for {view.account.name}",
                    template="intro_answered",
                    context=dict(
                        program_name=view.program_name,
                        partner_name=view.partner.name,
                        contact_name=contact.name,
                        ae_name=view.ae.name,
                        ae_email=view.ae.email,
                        account_name=view.account.name,
                        status=status,
                        note=view.request.answer_note,
                        next_step=NEXT_STEPS[status],
                    ),
                    journey_id=view.request.journey_id,
                )
            )
        return post.status

    # --- the AE's answer ----------------------------------------------------------------------

    @activity.defn
    async def record_intro_answer(self, answer: RecordIntroAnswer) -> IntroAnswerReceipt:
        """Status, time and note once; a timeline event (a behavior and trust signal); the trust score."""
        status = INTRO_ANSWER_STATUS[answer.answer]
        async with transaction(self._sessions) as session:
            request = await session.get(IntroRequest, answer.request_id)
            if request is None or request.ae_id != answer.ae_id:
                raise ApplicationError("intro request not found for this AE", type="NotFound", non_retryable=True)
            if request.status not in OPEN:  # a retry after the first attempt committed
                assert request.answered_at is not None
                return IntroAnswerReceipt(request_id=request.id, status=request.status, answered_at=request.answered_at)
            await intros.answer(session, request, status, answer.answered_at, answer.note.strip())
            journey = await journeys.get_journey(session, request.journey_id)
            account = await session.get(VendorAccount, request.vendor_account_id)
            ae = await session.get(AccountExecutive, request.ae_id)
            if journey is not None:
                await journeys.append_event(
                    session,
                    f"{journey.id}/intro/{request.id}/answered",
                    journey.id,
                    f"intro_{status}",
                    journey.stage,
                    request.step_key,
                    answer.answered_at,
                    {
                        "request_id": request.id,
                        "account": account.name if account else "",
                        "ae": ae.name if ae else "",
                        "hours_to_answer": round((answer.answered_at - request.requested_at) / timedelta(hours=1), 1),
                    },
                )
            await recompute_trust(session, request.partner_id)
        await tell_recorded(session)
        return IntroAnswerReceipt(request_id=answer.request_id, status=status, answered_at=answer.answered_at)

    def all(self) -> list:  # type: ignore[type-arg]
        return [self.request_intros, self.send_intro_mail, self.record_intro_answer]


async def _write_request(
    session: AsyncSession, req: RequestIntros, stage: str, account_id: str, account: str, ae_id: str, day: str
) -> str:
    """The request row (once: its id is derived from journey, step and account) and its timeline event."""
    request_id = request_id_for(req.journey_id, req.step_key, account_id)
    await intros.create(
        session,
        dict(
            id=request_id,
            journey_id=req.journey_id,
            step_key=req.step_key,
            partner_id=req.partner_id,
            vendor_account_id=account_id,
            ae_id=ae_id,
            reason=req.reason,
            status="pending",
            batch_id=intro_batch_id(ae_id, day),
            requested_at=req.requested_at,
        ),
    )
    await journeys.append_event(
        session,
        f"{req.journey_id}/intro/{request_id}/requested",
        req.journey_id,
        "intro_requested",
        stage,
        req.step_key,
        req.requested_at,
        {"request_id": request_id, "account": account},
    )
    return request_id


async def _open_views(session: AsyncSession, request_ids: list[str]) -> list[IntroView]:
    views = [await intro_view(session, request_id) for request_id in request_ids]
    return [v for v in views if v is not None and v.request.status in OPEN]


def _escalation_email(
    mail: IntroMail, ae: AccountExecutive, program: Program, to_email: str, waiting: list[IntroView], partners_url: str
) -> Email:
    # The PM's key is the one used before partners had owners; an owner's names its address too.
    owner = "" if to_email == program.pm_email else f"/{address_key(to_email)}"
    return Email(
        kind="pm_intro_escalation",
        dedupe_key=f"pm-intro-escalation/{mail.ae_id}/{mail.day}/{program.id}{owner}",
        to_email=to_email,
        to_name="Program manager",
        subject=f"{ae.name} has not answered {len(waiting)} intro request{'s' if len(waiting) > 1 else ''}",
        template="pm_intro_escalation",
        context=dict(
            program_name=program.name,
            ae_name=ae.name,
            ae_email=ae.email,
            day=mail.day,
            requests=[dict(partner=v.partner, account_name=v.account.name, reason=v.request.reason) for v in waiting],
            partners_url=partners_url,  # each partner's dashboard page is this plus its id
        ),
    )


async def _stage(session: AsyncSession, journey_id: str) -> str:
    journey = await journeys.get_journey(session, journey_id)
    return journey.stage if journey else ""


def _by_batch(requests: list[IntroRequest]) -> dict[str, list[str]]:
    batches: dict[str, list[str]] = defaultdict(list)
    for request in sorted(requests, key=lambda r: r.id):
        if request.batch_id:
            batches[request.batch_id].append(request.id)
    return batches
