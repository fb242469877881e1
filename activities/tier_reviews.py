"""The tier review's activities: open the period's review, judge a page of partners, finish and tell the PM.

Each is idempotent (db/repositories/tier_reviews.py says how): a retry, a restarted worker or a second
run of the same period records nothing twice, and the PM's digest has one outbox row per review.
"""

from __future__ import annotations

import logging

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.family import ActivityFamily
from activities.tier_review_inputs import (
    ReviewFinish,
    ReviewFinished,
    ReviewOpen,
    ReviewOpened,
    ReviewPage,
    ReviewPageResult,
)
from db.repositories import partner_events, partner_facts, tier_reviews
from db.repositories.tier_reviews import Judged
from db.session import transaction
from domain.intel.assess import assess
from domain.intel.review_period import period_of, review_id
from domain.intel.rubric import Rubric, program_rubric
from mail import Email
from mail.post import NOTHING_SENT
from playbooks.model import WaitEvent
from workflows.journey.tell import tell_recorded

log = logging.getLogger(__name__)


class TierReviewActivities(ActivityFamily):
    @activity.defn
    async def open_tier_review(self, inp: ReviewOpen) -> ReviewOpened:
        async with transaction(self._sessions) as session:
            program = await tier_reviews.program(session, inp.program_id)
            if program is None:
                raise ApplicationError(f"program {inp.program_id} not found", non_retryable=True)
            period = inp.period or period_of(program.tier_review_cadence, inp.now)
            rid = review_id(program.id, period)
            review = await tier_reviews.open_review(session, program.id, period, rid, inp.now)
            return ReviewOpened(
                review_id=review.id,
                program_id=program.id,
                period=period,
                as_of=review.as_of,
                done=review.status == "done",
            )

    @activity.defn
    async def review_tier_page(self, inp: ReviewPage) -> ReviewPageResult:
        async with transaction(self._sessions) as session:
            review = await tier_reviews.get_review(session, inp.review_id)
            program = await tier_reviews.program(session, inp.program_id)
            if review is None or program is None:
                raise ApplicationError(f"tier review {inp.review_id} not found", non_retryable=True)
            rubric = program_rubric(program.tier_rubric)
            ids = await tier_reviews.partner_page(session, inp.program_id, inp.after, inp.limit)
            done = await tier_reviews.judged_by(session, inp.review_id, ids)
            facts = await partner_facts.load_many(session, [i for i in ids if i not in done])
            judged = []
            for f in facts.values():
                a = assess(f, review.as_of, rubric)
                t = a.tier
                cls = a.classification.label
                judged.append(
                    Judged(f.partner_id, f.tier, t.tier, t.move, t.missed_reviews, t.reasons, a.values, t.rubric, cls)
                )
            moved = await tier_reviews.record(session, review, judged)
            for j in judged:
                if j.tier < j.previous:  # promoted: waits for "this tier or better" may be over
                    fact = f"{review.id}/{j.partner_id}"
                    await partner_events.note(session, j.partner_id, WaitEvent.tier_reached, fact, review.as_of, j.tier)
        await tell_recorded(session)
        return ReviewPageResult(
            next_after=ids[-1] if len(ids) == inp.limit else None, reviewed=len(judged), moved=moved
        )

    @activity.defn
    async def finish_tier_review(self, inp: ReviewFinish) -> ReviewFinished:
        """Done, with one digest of the movements to the PM (none when nothing moved)."""
        async with self._mail.post() as post:
            session = post.session
            review, _ = await tier_reviews.finish(session, inp.review_id, inp.now)
            program = await tier_reviews.program(session, review.program_id)
            moves = await tier_reviews.movements(session, review.id)
            if moves and program is not None and program.pm_email:
                rubric = program_rubric(program.tier_rubric)
                await post.send(self._digest(review.id, review.period, program.name, program.pm_email, moves, rubric))
        log.info("tier review %s: %d partners, %d movements", review.id, review.partners, review.movements)
        return ReviewFinished(
            partners=review.partners, movements=review.movements, digest=post.status if post.queued else NOTHING_SENT
        )

    def _digest(  # type: ignore[type-arg]
        self, rid: str, period: str, program: str, pm_email: str, moves: list, rubric: Rubric
    ) -> Email:
        rows = [
            dict(
                partner=name,
                previous=f"Tier {m.previous_tier} {rubric.name(m.previous_tier)}",
                new=f"Tier {m.new_tier} {rubric.name(m.new_tier)}",
                move=m.move,
                why="; ".join(m.reasons),
                url=self.link("/partners", m.partner_id),
            )
            for m, name in moves
        ]
        up = sum(1 for m, _ in moves if m.new_tier < m.previous_tier)
        return Email(
            kind="pm_tier_digest",
            dedupe_key=f"pm-tier-digest/{rid}",
            to_email=pm_email,
            to_name="",
            subject=f"{program}: tier review {period}: {up} up, {len(moves) - up} down",
            template="pm_tier_digest",
            context=dict(program_name=program, period=period, movements=rows),
        )

    def all(self) -> list:  # type: ignore[type-arg]
        return [self.open_tier_review, self.review_tier_page, self.finish_tier_review]
