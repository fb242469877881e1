"""Where a partner stands in its journey, as every step page and step email shows it: the stage map, the
step's place in its play, what comes next, and the partner's deals and intro requests with their status.

Two queries: the journey's step rows (never their answers) and, in one UNION, the partner's deals in this
program and the intro requests of this journey. Nothing of another partner or journey is read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from db.cosell_models import Deal, IntroRequest, VendorAccount
from db.models import JourneyStep
from db.views.journeys import JourneyFacts
from playbooks.model import Playbook
from playbooks.plan import applies

# What a step's read-model status means to the partner.
STATUS_LABELS = {
    "invited": "open",
    "reminded": "open",
    "reopened": "sent back for a revision",
    "completed": "done",
    "overdue": "missed",
    "closed": "not needed",
}
DEAL_LABELS = {"closed_won": "won", "closed_lost": "lost"}
INTRO_LABELS = {"pending": "requested", "sent": "with the AE", "not_now": "not now", "escalated": "followed up"}
MAX_DEALINGS = 40  # the most recent deals and intro requests a page lists


@dataclass(frozen=True)
class MapStep:
    key: str
    title: str
    status: str  # a STATUS_LABELS value, "to come" or "skipped"
    due_at: datetime | None  # None until the step opens
    due_days: int
    here: bool  # the step this page or email is about

    @property
    def open(self) -> bool:
        return self.status in ("open", "sent back for a revision")


@dataclass(frozen=True)
class MapPlay:
    title: str
    parallel: bool
    steps: list[MapStep]


@dataclass(frozen=True)
class MapStage:
    title: str
    state: str  # done | current | to come
    plays: list[MapPlay]

    @property
    def steps(self) -> list[MapStep]:
        return [s for play in self.plays for s in play.steps]

    @property
    def done(self) -> int:
        return sum(1 for s in self.steps if s.status == "done")


@dataclass(frozen=True)
class Dealing:
    """A deal registered for the partner, or an intro the partner requested, with its status."""

    account: str
    status: str
    at: datetime


@dataclass(frozen=True)
class JourneyMap:
    stages: list[MapStage]
    place: str  # the step's place in its play
    next_up: list[MapStep]
    deals: list[Dealing]
    intros: list[Dealing]
    timezone: str


Flat = list[tuple[bool, str, str, MapStep, int]]  # (parallel, play key, play title, step, steps in the play)


def build_map(
    playbook: Playbook,
    facts: JourneyFacts,
    rows: dict[str, tuple[str, datetime]],
    step_key: str,
    dealings: list[tuple[str, str, str, datetime]],
) -> JourneyMap:
    """`rows`: each invited step's (status, due date) by key; `dealings`: (deal | intro, account, status, when)."""
    partner, journey = facts.partner, facts.journey
    order = [s.key.value for s in playbook.stages]
    current = order.index(journey.stage) if journey.stage in order else 0
    finished = journey.status in ("completed", "exited")
    stages, flat = [], []
    for index, stage in enumerate(playbook.stages):
        state = "done" if finished or index < current else "current" if index == current else "to come"
        plays = []
        for play in stage.plays:
            if not applies(play, partner.type, list(partner.verticals), partner.tier):
                continue
            steps = [_step(step.key, step.title, step.due_days, rows, state, step_key) for step in play.steps]
            plays.append(MapPlay(play.title, play.parallel, steps))
            flat += [(play.parallel, play.key, play.title, s, len(steps)) for s in steps]
        stages.append(MapStage(stage.title, state, plays))
    deals = [Dealing(a, DEAL_LABELS.get(s, s), at) for kind, a, s, at in dealings if kind == "deal"]
    intros = [Dealing(a, INTRO_LABELS.get(s, s), at) for kind, a, s, at in dealings if kind == "intro"]
    return JourneyMap(stages, _place(flat, step_key), _next_up(flat, step_key), deals, intros, partner.timezone)


def _step(key: str, title: str, due_days: int, rows: dict[str, tuple[str, datetime]], stage: str, here: str) -> MapStep:
    if key in rows:
        status, due = rows[key]
        return MapStep(key, title, STATUS_LABELS.get(status, status), due, due_days, key == here)
    # Never invited: a stage behind the partner skipped it (a condition, the time-box); ahead, it is to come.
    return MapStep(key, title, "skipped" if stage == "done" else "to come", None, due_days, key == here)


def _place(flat: Flat, step_key: str) -> str:
    here = [(parallel, play, title, n) for parallel, play, title, s, n in flat if s.key == step_key]
    if not here:
        return ""
    parallel, play, title, n = here[0]
    if parallel:
        return f"One of {n} steps of “{title}”, done in any order"
    position = 1 + [s.key for _, p, _, s, _ in flat if p == play].index(step_key)
    return f"Step {position} of {n} of “{title}”"


def _next_up(flat: Flat, step_key: str) -> list[MapStep]:
    """The play's other open steps (a parallel play), then the first step after this one still to do."""
    keys = [s.key for _, _, _, s, _ in flat]
    if step_key not in keys:
        return []
    at = keys.index(step_key)
    parallel, play = flat[at][0], flat[at][1]
    siblings = [s for _, p, _, s, _ in flat if parallel and p == play and s.key != step_key and s.open]
    rest = [s for _, p, _, s, _ in flat[at + 1 :] if not (parallel and p == play)]
    after = next((s for s in rest if s.open or s.status == "to come"), None)
    return siblings + ([after] if after else [])


async def journey_map(session: AsyncSession, facts: JourneyFacts, step_key: str) -> JourneyMap:
    steps = await session.execute(
        select(JourneyStep.step_key, JourneyStep.status, JourneyStep.due_at).where(
            JourneyStep.journey_id == facts.journey.id
        )
    )
    rows = {key: (status, due) for key, status, due in steps.all()}
    deals = select(literal("deal").label("kind"), Deal.account_name, Deal.stage, Deal.registered_at.label("at")).where(
        Deal.partner_id == facts.partner.id, Deal.program_id == facts.cohort.program_id
    )
    intros = (
        select(literal("intro"), VendorAccount.name, IntroRequest.status, IntroRequest.requested_at)
        .join(VendorAccount, VendorAccount.id == IntroRequest.vendor_account_id)
        .where(IntroRequest.journey_id == facts.journey.id)
    )
    both = union_all(deals, intros).subquery()
    dealings = await session.execute(select(both).order_by(both.c.at.desc()).limit(MAX_DEALINGS))
    found = [(kind, account, status, at) for kind, account, status, at in dealings.all()]
    return build_map(facts.playbook, facts, rows, step_key, found)
