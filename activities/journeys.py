"""Journey and window side effects: context loading, invites and reminders, read-model projection."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.deal_inputs import RegisterDeal
from activities.deals import StepDeal, register_step_deal, tell_owner_of
from activities.family import ActivityFamily
from activities.journey_inputs import (
    CohortStatusChange,
    JourneyContext,
    JourneyUpdate,
    LoadContext,
    MembersPage,
    PartnerProfile,
    PmNotice,
    StepNotice,
)
from db.models import Cohort, Partner, Program
from db.repositories import cohorts, journeys, partners, reviews, variants
from db.repositories import playbooks as playbook_repo
from db.session import transaction
from db.views.journey_map import journey_map
from db.views.journeys import JourneyFacts
from domain.links import StepClaims
from domain.public_holidays import public_holidays
from mail import Email
from mail.render import STEP_SUBJECTS, local_time
from playbooks.experiments import with_variants
from playbooks.model import Play, Playbook, PlaybookRef, StepKind

FINAL = ("completed", "exited")


def for_journey(playbook: Playbook) -> Playbook:
    """The snapshot without the prose that only pages and emails show (plays' content, steps' instructions:
    about 40% of the cloud-cosell-90d snapshot): the context is recorded in every journey run's history and
    held by every cached journey, and the interpreter never reads those (pages and the email activities
    read the snapshot themselves)."""
    stages = tuple(
        stage.model_copy(update={"plays": tuple(_play_for_journey(play) for play in stage.plays)})
        for stage in playbook.stages
    )
    return playbook.model_copy(update={"stages": stages})


def _play_for_journey(play: Play) -> Play:
    steps = tuple(step.model_copy(update={"instructions": ""}) for step in play.steps)
    return play.model_copy(update={"content": "", "steps": steps})


async def _who(session: AsyncSession, cohort_id: str, partner_id: str) -> tuple[Cohort, Partner, Program | None]:
    cohort = await session.get(Cohort, cohort_id)
    partner = await session.get(Partner, partner_id)
    if cohort is None or partner is None:
        raise ApplicationError("cohort or partner vanished", type="NotFound", non_retryable=True)
    return cohort, partner, await session.get(Program, cohort.program_id)


def _years_ahead() -> range:
    """This year and the next two by the workflow's clock (the schedule time, simulated in dry runs):
    a stage reloads this context, and no stage outlasts a year."""
    year = activity.info().scheduled_time.year
    return range(year, year + 3)


class JourneyActivities(ActivityFamily):
    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._playbooks: dict[tuple[str, int], Playbook] = {}  # snapshots are immutable: safe to cache
        self._for_journeys: dict[tuple[str, int, str], Playbook] = {}

    async def _playbook(self, session: AsyncSession, playbook_id: str, version: int) -> Playbook:
        key = (playbook_id, version)
        if key not in self._playbooks:
            row = await playbook_repo.get(session, playbook_id, version)
            if row is None:
                raise ApplicationError(f"playbook {playbook_id} v{version} is not published", non_retryable=True)
            self._playbooks[key] = playbook_repo.to_model(row)
        return self._playbooks[key]

    async def _snapshot(self, session: AsyncSession, ref: PlaybookRef) -> Playbook:
        """The journey's view of a pinned snapshot: checked against its sha256 and trimmed once per worker,
        then shared by every journey on it (snapshots are immutable)."""
        key = (ref.playbook_id, ref.version, ref.sha256)
        if key not in self._for_journeys:
            row = await playbook_repo.get(session, ref.playbook_id, ref.version)
            if row is None or row.sha256 != ref.sha256:
                raise ApplicationError(
                    f"playbook snapshot {ref.playbook_id} v{ref.version} is missing or altered",
                    type="PlaybookSnapshotMismatch",
                    non_retryable=True,
                )
            self._for_journeys[key] = for_journey(playbook_repo.to_model(row))
        return self._for_journeys[key]

    @activity.defn
    async def load_journey_context(self, req: LoadContext) -> JourneyContext:
        async with transaction(self._sessions) as session:
            playbook = await self._snapshot(session, req.playbook)
            partner = await session.get(Partner, req.partner_id)
            if partner is None:
                raise ApplicationError(f"partner {req.partner_id} not found", type="NotFound", non_retryable=True)
            return JourneyContext(
                playbook=playbook,
                partner=PartnerProfile(
                    id=partner.id,
                    name=partner.name,
                    type=partner.type,
                    verticals=list(partner.verticals),
                    tier=partner.tier,
                    timezone=partner.timezone,
                    country=partner.country,
                    holidays=public_holidays(partner.country, _years_ahead()),
                ),
            )

    @activity.defn
    async def notify_step(self, notice: StepNotice) -> str:
        """Record the invite/reminder in the read model and queue its email in one transaction, then send."""
        key = f"{notice.journey_id}/{notice.step_key}/{notice.kind}/{notice.n}"
        async with self._mail.post() as post:
            session = post.session
            cohort, partner, program = await _who(session, notice.cohort_id, notice.partner_id)
            pinned = notice.playbook
            version = pinned.version if pinned else cohort.playbook_version
            playbook = await self._playbook(session, cohort.playbook_id, version)
            playbook = with_variants(playbook, await variants.of_journey(session, notice.journey_id))
            step, play = playbook.step(notice.step_key), playbook.play_of(notice.step_key)
            contact = await partners.primary_contact(session, partner.id)
            await self._record_notice(session, notice, key, emailed=contact is not None)
            if contact is None:
                activity.logger.warning("partner %s has no contact; %s not emailed", partner.id, key)
                return "no-contact"
            journey = await journeys.get_journey(session, notice.journey_id)
            assert journey is not None  # _record_notice wrote it
            facts = JourneyFacts(journey, partner, cohort, program, playbook)
            token = self._signer.sign_step(StepClaims(journey_id=notice.journey_id, step_key=notice.step_key))
            subject = STEP_SUBJECTS[notice.kind].format(step.email.subject)
            await post.send(
                Email(
                    kind=f"step_{notice.kind}",
                    dedupe_key=key,
                    to_email=contact.email,
                    to_name=contact.name,
                    subject=subject,
                    template="step",
                    context=dict(
                        program_name=program.name if program else self._settings.program_name,
                        partner_name=partner.name,
                        contact_name=contact.name,
                        kind=notice.kind,
                        comment=notice.comment,
                        intro=step.email.intro,
                        play_title=play.title,
                        step_title=step.title,
                        due_local=local_time(notice.due_at, partner.timezone),
                        link=self.link("/p", token),
                        journey=await journey_map(session, facts, notice.step_key),
                    ),
                    journey_id=notice.journey_id,  # reply-to: the program's PM
                )
            )
        return post.status

    async def _record_notice(self, session: AsyncSession, notice: StepNotice, key: str, emailed: bool) -> None:
        if notice.kind == "sent_back":
            await _record_send_back(session, notice, key, emailed)
            return
        await journeys.save_journey(
            session,
            dict(
                id=notice.journey_id,
                cohort_id=notice.cohort_id,
                partner_id=notice.partner_id,
                stage=notice.stage,
                current_play=notice.play_key,
                current_step=notice.step_key,
                status="waiting",
                started_at=notice.occurred_at,
                updated_at=notice.occurred_at,
            ),
        )
        await journeys.save_step(
            session,
            dict(
                journey_id=notice.journey_id,
                step_key=notice.step_key,
                stage=notice.stage,
                play_key=notice.play_key,
                status="invited" if notice.kind == "invite" else "reminded",
                invited_at=notice.occurred_at,
                due_at=notice.due_at,
                reminders_sent=notice.n,
            ),
        )
        await journeys.append_event(
            session,
            key,
            notice.journey_id,
            f"step_{'invited' if notice.kind == 'invite' else 'reminded'}",
            notice.stage,
            notice.step_key,
            notice.occurred_at,
            {"n": notice.n, "due_at": notice.due_at.isoformat(), "email": emailed},
        )

    @activity.defn
    async def project_journey(self, change: JourneyUpdate) -> None:
        event_id = f"{change.journey_id}/{change.step_key or change.stage}/{change.kind}"
        if "revision" in change.data:  # a step is revised once per send-back
            event_id += f"/{change.data['revision']}"
        registered = None
        async with transaction(self._sessions) as session:
            values = dict(
                id=change.journey_id,
                cohort_id=change.cohort_id,
                partner_id=change.partner_id,
                stage=change.stage,
                status=change.status,
                readiness_score=change.readiness_score,
                current_step=change.current_step,
                current_play=change.current_play,
                started_at=change.occurred_at,
                updated_at=change.occurred_at,
            )
            if change.playbook_version is not None:
                values["playbook_version"] = change.playbook_version
            if change.status in FINAL:
                values["completed_at"] = change.occurred_at
            await journeys.save_journey(session, values)
            await journeys.append_event(
                session,
                event_id,
                change.journey_id,
                change.kind,
                change.stage,
                change.step_key,
                change.occurred_at,
                change.data,
            )
            if change.kind in ("step_completed", "step_revised") and change.step_key:
                await journeys.complete_step(
                    session,
                    change.journey_id,
                    change.step_key,
                    change.stage,
                    change.data.get("play") or change.current_play or "",
                    change.occurred_at,
                    change.data.get("answers", {}),
                )
                if change.kind == "step_revised":
                    await reviews.revised(session, change.journey_id, change.step_key, change.occurred_at)
                elif change.registers_deal:
                    registered = await self._register_deal(session, change)
            elif change.kind == "step_overdue" and change.step_key:
                await journeys.mark_step(session, change.journey_id, change.step_key, status="overdue")
            elif change.kind == "step_skipped" and change.step_key:  # a parallel play's step its play closed
                await journeys.mark_step(session, change.journey_id, change.step_key, status="closed")
        await tell_owner_of(self, registered)

    async def _register_deal(self, session: AsyncSession, change: JourneyUpdate) -> StepDeal | None:
        """The unpatched path (JourneyUpdate.registers_deal): a completed deal_registration step registers
        its deal in the same transaction as the completion. The kind is checked here because a projection
        an older worker scheduled says registers_deal for every step."""
        assert change.step_key
        cohort, _, _ = await _who(session, change.cohort_id, change.partner_id)
        playbook = await self._playbook(session, cohort.playbook_id, change.playbook_version or cohort.playbook_version)
        try:
            kind = playbook.step(change.step_key).kind
        except KeyError:
            return None
        if kind != StepKind.deal_registration:
            return None
        req = RegisterDeal(
            journey_id=change.journey_id,
            cohort_id=change.cohort_id,
            partner_id=change.partner_id,
            step_key=change.step_key,
            answers=change.data.get("answers", {}),
            registered_at=change.occurred_at,
        )
        return await register_step_deal(session, req)

    @activity.defn
    async def notify_pm(self, notice: PmNotice) -> str:
        """A timeline event plus an email to the program manager, once per (journey, kind, stage, step)."""
        key = f"{notice.journey_id}/{notice.stage}/{notice.step_key or '-'}/{notice.kind}"
        async with self._mail.post() as post:
            session = post.session
            cohort, partner, program = await _who(session, notice.cohort_id, notice.partner_id)
            # A gate hold is already on the timeline (the projection wrote it); record the PM email itself.
            kind = "escalated" if notice.kind == "escalated" else "pm_notified"
            data = {"reason": notice.reason, "about": notice.kind}
            await journeys.append_event(
                session, key, notice.journey_id, kind, notice.stage, notice.step_key, notice.occurred_at, data
            )
            to_email = await partners.alert_address(session, partner, program)
            if program is None or not to_email:
                return "no-pm-email"
            subject = (
                f"{partner.name} needs a gate decision ({notice.stage})"
                if notice.kind == "gate_held"
                else f"{partner.name} has stalled in {cohort.name}"
            )
            await post.send(
                Email(
                    kind=f"pm_{notice.kind}",
                    dedupe_key=key,
                    to_email=to_email,
                    to_name="Program manager",
                    subject=subject,
                    template="pm_notice",
                    context=dict(
                        program_name=program.name,
                        partner_name=partner.name,
                        cohort_name=cohort.name,
                        kind=notice.kind,
                        reason=notice.reason,
                        stage=notice.stage,
                        # A hold is decided on the cohort board; a stalled partner is looked at on its own page.
                        dashboard_url=self.link("/cohorts", cohort.id)
                        if notice.kind == "gate_held"
                        else self.link("/partners", partner.id),
                    ),
                    journey_id=notice.journey_id,
                )
            )
        return post.status

    @activity.defn
    async def set_cohort_status(self, change: CohortStatusChange) -> None:
        async with transaction(self._sessions) as session:
            await cohorts.set_status(session, change.cohort_id, change.status, change.ends_at, change.starts_at)

    @activity.defn
    async def list_cohort_members(self, page: MembersPage) -> list[str]:
        """Active members in partner-id order, one keyset page at a time (windows of 40,000 stay small)."""
        async with transaction(self._sessions) as session:
            return await cohorts.active_member_ids(session, page.cohort_id, page.after, page.limit)

    def all(self) -> list:  # type: ignore[type-arg]
        return [
            self.load_journey_context,
            self.notify_step,
            self.project_journey,
            self.notify_pm,
            self.set_cohort_status,
            self.list_cohort_members,
        ]


async def _record_send_back(session: AsyncSession, notice: StepNotice, key: str, emailed: bool) -> None:
    """The step reads as open again until the revision's due date; the journey's own step stays current."""
    await journeys.mark_step(session, notice.journey_id, notice.step_key, status="reopened", due_at=notice.due_at)
    data = {"n": notice.n, "due_at": notice.due_at.isoformat(), "comment": notice.comment, "email": emailed}
    await journeys.append_event(
        session, key, notice.journey_id, "step_sent_back", notice.stage, notice.step_key, notice.occurred_at, data
    )
