"""TierReviewWorkflow: recompute every partner's signals in a program and record tier movements.

Started by the program's Temporal Schedule (workflows/tier_review/schedule.py) or by a PM ("now"). The
review pages through the program's partners in activities, each returning a cursor (the last partner
id); every `pages_per_run` pages it continues as new, so a review of 40,000 partners keeps each run's
history to a few hundred events. The database makes it idempotent per program and period: the review
row is unique per period, a partner judged by this review is skipped by a retried page, and a movement
is unique per (review, partner). A worker restart mid-review resumes at the last page it did not finish.
"""

from __future__ import annotations

from datetime import datetime

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.tier_review_inputs import ReviewFinish, ReviewOpen, ReviewOpened, ReviewPage
    from activities.tier_reviews import TierReviewActivities
    from workflows.policies import DB_TIMEOUT, DB_WRITE, EMAIL_HEARTBEAT, EMAIL_SEND, EMAIL_TIMEOUT
    from workflows.tier_review.messages import ReviewTotals, TierReviewInput, TierReviewResult

PAGE_TIMEOUT = DB_TIMEOUT * 10  # a page loads and judges hundreds of partners


@workflow.defn
class TierReviewWorkflow:
    @workflow.run
    async def run(self, inp: TierReviewInput) -> TierReviewResult:
        opened = await self._open(inp)
        if opened.done:
            return TierReviewResult(
                review_id=opened.review_id, period=opened.period, already_done=True, reviewed=0, moved=0, digest=""
            )
        totals, after = inp.totals.model_copy(), inp.after
        for _ in range(inp.pages_per_run):
            page = await workflow.execute_activity_method(
                TierReviewActivities.review_tier_page,
                ReviewPage(
                    review_id=opened.review_id,
                    program_id=inp.program_id,
                    as_of=opened.as_of,
                    after=after,
                    limit=inp.page_size,
                ),
                start_to_close_timeout=PAGE_TIMEOUT,
                retry_policy=DB_WRITE,
            )
            totals = ReviewTotals(
                pages=totals.pages + 1, reviewed=totals.reviewed + page.reviewed, moved=totals.moved + page.moved
            )
            after = page.next_after
            if after is None:
                return await self._finish(opened, totals)
        carried = inp.model_copy(
            update=dict(
                period=opened.period,
                review_id=opened.review_id,
                as_of=opened.as_of.isoformat(),
                after=after,
                totals=totals,
            )
        )
        workflow.continue_as_new(carried)

    async def _open(self, inp: TierReviewInput) -> ReviewOpened:
        if inp.review_id and inp.period and inp.as_of:  # a continued run: the review is open already
            return ReviewOpened(
                review_id=inp.review_id,
                program_id=inp.program_id,
                period=inp.period,
                as_of=datetime.fromisoformat(inp.as_of),
                done=False,
            )
        return await workflow.execute_activity_method(
            TierReviewActivities.open_tier_review,
            ReviewOpen(program_id=inp.program_id, period=inp.period, now=workflow.now()),
            start_to_close_timeout=DB_TIMEOUT,
            retry_policy=DB_WRITE,
        )

    async def _finish(self, opened: ReviewOpened, totals: ReviewTotals) -> TierReviewResult:
        finished = await workflow.execute_activity_method(
            TierReviewActivities.finish_tier_review,
            ReviewFinish(review_id=opened.review_id, now=workflow.now()),
            start_to_close_timeout=EMAIL_TIMEOUT,
            heartbeat_timeout=EMAIL_HEARTBEAT,
            retry_policy=EMAIL_SEND,
        )
        return TierReviewResult(
            review_id=opened.review_id,
            period=opened.period,
            already_done=False,
            reviewed=totals.reviewed,
            moved=finished.movements,  # the review's, also those a run before a restart recorded
            digest=finished.digest,
        )
