"""A journey with everything around it: partner, cohort, program and the playbook version it runs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Cohort, Journey, JourneyStep, Partner, Program, utcnow
from db.repositories import journeys, partners, variants
from db.repositories import playbooks as playbook_repo
from playbooks.experiments import with_variants
from playbooks.model import Play, Playbook, Step

if TYPE_CHECKING:
    from db.views.journey_map import JourneyMap

DEFAULT_PROGRAM_NAME = "Partner Co-Sell Program"
FINAL_STATUSES = ("completed", "exited")


@dataclass(frozen=True)
class JourneyFacts:
    journey: Journey
    partner: Partner
    cohort: Cohort
    program: Program | None
    playbook: Playbook
    alert_email: str = ""  # the partner's owner, else the program's PM (partners.alert_address)

    @property
    def program_name(self) -> str:
        return self.program.name if self.program else DEFAULT_PROGRAM_NAME

    @property
    def pm_email(self) -> str:
        return self.program.pm_email if self.program else ""

    def step_title(self, step_key: str | None) -> str:
        if not step_key:
            return ""
        try:
            return self.playbook.step(step_key).title
        except KeyError:
            return step_key


async def journey_facts(session: AsyncSession, journey_id: str) -> JourneyFacts | None:
    journey = await journeys.get_journey(session, journey_id)
    if journey is None:
        return None
    cohort = await session.get(Cohort, journey.cohort_id)
    partner = await session.get(Partner, journey.partner_id)
    if cohort is None or partner is None:
        return None
    playbook = await playbook_repo.model(
        session, cohort.playbook_id, playbook_repo.version_of(journey, cohort.playbook_version)
    )
    if playbook is None:
        return None
    program = await session.get(Program, cohort.program_id)
    alert = await partners.alert_address(session, partner, program)
    # The playbook as this partner sees it: its experiments' variants applied (their content, their due days).
    playbook = with_variants(playbook, await variants.of_journey(session, journey_id))
    return JourneyFacts(journey, partner, cohort, program, playbook, alert)


@dataclass(frozen=True)
class StepView:
    """One step of a journey as its link page shows it."""

    facts: JourneyFacts
    step_row: JourneyStep
    play: Play
    step: Step
    map: JourneyMap | None = None  # where the partner stands (db.views.journey_map), loaded for link pages

    @property
    def journey(self) -> Journey:
        return self.facts.journey

    @property
    def partner(self) -> Partner:
        return self.facts.partner

    @property
    def cohort(self) -> Cohort:
        return self.facts.cohort

    @property
    def playbook(self) -> Playbook:
        return self.facts.playbook

    @property
    def state(self) -> str:
        if self.step_row.status == "completed":
            return "completed"
        if self.step_row.status in ("overdue", "closed") or self.journey.status in FINAL_STATUSES:
            return "closed"
        if self.reopened and utcnow() >= self.step_row.due_at:  # the revision's due date passed
            return "closed"
        return "open"

    @property
    def can_revise(self) -> bool:
        """A completed step the playbook lets the partner revise, before its due date."""
        return self.step.revisable and self.state == "completed" and self.before_due and not self.journey_over

    @property
    def before_due(self) -> bool:
        return utcnow() < self.step_row.due_at

    @property
    def journey_over(self) -> bool:
        return self.journey.status in FINAL_STATUSES

    @property
    def reopened(self) -> bool:
        """The PM sent the answer back: the step is open for a revision of it."""
        return self.step_row.status == "reopened"


async def step_view(session: AsyncSession, journey_id: str, step_key: str) -> StepView | None:
    step_row = await journeys.get_step(session, journey_id, step_key)
    if step_row is None:
        return None
    facts = await journey_facts(session, journey_id)
    if facts is None:
        return None
    return StepView(facts, step_row, facts.playbook.play_of(step_key), facts.playbook.step(step_key))
