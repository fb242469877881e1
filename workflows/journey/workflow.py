"""PartnerJourneyWorkflow: a deterministic interpreter of one partner's pinned playbook snapshot.

One run per stage (continue-as-new at each boundary), so histories stay small and a PM's
migration to a new playbook version takes effect at the next stage.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.exceptions import ApplicationError

from workflows.journey.effects import OpenStep
from workflows.journey.experiments import JourneyExperiments
from workflows.journey.gates import gate_shortfalls
from workflows.journey.send_back import SendBackHandling
from workflows.journey.steps import StepRunning
from workflows.journey.waits import UNLOCKS, WAITS
from workflows.waiting import until_or

with workflow.unsafe.imports_passed_through():
    from activities.condition_inputs import ConditionCheck
    from activities.conditions import ConditionActivities
    from activities.feedback import FeedbackActivities
    from activities.feedback_inputs import TrustProjection
    from activities.journey_inputs import JourneyContext, JourneyEventKind, LoadContext
    from activities.journeys import JourneyActivities
    from playbooks.kinds import kind_of
    from playbooks.model import Play, Playbook, PlaybookRef, Stage, Step, WaitEvent
    from playbooks.plan import readiness, stage_steps
    from workflows.journey.messages import (
        FeedbackNote,
        GateDecision,
        JourneyCarry,
        JourneyInput,
        JourneyProgress,
        JourneyStatus,
        NextStep,
        OpenStepView,
        PartnerEvent,
        Reopened,
        Revisable,
        SendBackReceipt,
        StepReceipt,
        StepSubmission,
    )
    from workflows.policies import DB_TIMEOUT, DB_WRITE
    from workflows.window.messages import WindowChange


@workflow.defn
class PartnerJourneyWorkflow(SendBackHandling, StepRunning, JourneyExperiments):
    def __init__(self) -> None:
        self._inp: JourneyInput | None = None
        self._ctx: JourneyContext | None = None
        self._stage = ""
        self._status: JourneyStatus = "active"
        self._open: OpenStep | None = None
        self._opens: dict[str, OpenStep] = {}
        self._closed: set[str] = set()  # steps of a parallel play closed when it completed (this run)
        self._completed: list[str] = []
        self._overdue: list[str] = []
        self._skipped: list[str] = []
        self._upcoming: list[tuple[Play, Step]] = []
        self._ends_at = datetime.min
        self._stage_ends = datetime.min
        self._paused = False
        self._exit_reason: str | None = None
        self._next_playbook: PlaybookRef | None = None
        self._decision: GateDecision | None = None
        self._changed = False
        self._last_progress_at = datetime.min
        self._stalled = False
        self._trust: int | None = None
        self._feedback_keys: list[str] = []
        self._reopened: dict[str, Reopened] = {}
        self._revisable: dict[str, Revisable] = {}
        self._send_backs: dict[str, SendBackReceipt] = {}
        self._events: list[PartnerEvent] = []
        self._variants: dict[str, str] = {}

    # --- messages -------------------------------------------------------------------------

    @workflow.signal
    def window_changed(self, change: WindowChange) -> None:
        if change.ends_at is not None:
            self._ends_at = change.ends_at
        if change.paused is not None:
            self._paused = change.paused
        if change.exit_reason and not self._exit_reason:
            self._exit_reason = change.exit_reason
        if change.playbook is not None:
            self._next_playbook = change.playbook
        self._changed = True

    @workflow.signal
    def decide_gate(self, decision: GateDecision) -> None:
        if self._status == "held":
            self._decision = decision
            self._changed = True

    @workflow.signal
    def partner_event(self, event: PartnerEvent) -> None:
        """Something a wait may wait for was recorded (a deal, an intro, feedback, a tier)."""
        self._heard(event)

    @workflow.signal
    async def ae_feedback_received(self, note: FeedbackNote) -> None:
        """An AE answered a post-deal feedback form about this partner: keep the trust score it produced
        and put it on the timeline, whichever stage the journey is in."""
        if note.key in self._feedback_keys:
            return  # a redelivered signal
        self._feedback_keys.append(note.key)
        self._trust = note.trust_score
        heard = WaitEvent.feedback_received
        self._heard(PartnerEvent(id=f"{heard.value}/{note.key}", kind=heard, occurred_at=note.occurred_at))
        await workflow.wait_condition(lambda: self._ctx is not None)
        change = TrustProjection(
            journey_id=self._jid(),
            key=note.key,
            stage=self._stage,
            trust_score=note.trust_score,
            feedback_received=len(self._feedback_keys),
            occurred_at=workflow.now(),
        )
        await workflow.execute_activity_method(
            FeedbackActivities.project_trust, change, start_to_close_timeout=DB_TIMEOUT, retry_policy=DB_WRITE
        )

    @workflow.update
    async def complete_step(self, submission: StepSubmission) -> StepReceipt:
        if submission.step_key in self._reopened:
            return await self._revise(submission)
        if submission.step_key in self._revisable:
            return await self._self_revise(submission)
        current = self._opens.get(submission.step_key) or self._open
        assert self._ctx and current
        current.submitting = True
        kind = kind_of(current.step)
        answers, _ = kind.clean(current.step, submission.answers)
        self._completed.append(current.step.key)
        self._last_progress_at, self._stalled = workflow.now(), False
        still_open = [(s.play, s.step) for s in current.siblings if not (s.done or s.submitting or s.closed)]
        nxt = next(iter(still_open or self._upcoming), None)
        score, points = readiness(self._ctx.playbook, self._completed)
        # A journey begun before its kind's effect moved out of the projection keeps it there.
        in_projection = kind.effect_moved_by is not None and not self.patched(kind.effect_moved_by)
        data = {"answers": answers, "play": current.play.key, "signals": points}
        if current.siblings:  # a parallel play: which of its steps this one was, in the order they were done
            done = 1 + sum(1 for s in current.siblings if s.done)
            data["branch"] = f"parallel: done {done} of {len(current.siblings) + 1}"
        await self._project(
            "step_completed",
            step_key=current.step.key,
            data=data,
            now_at=nxt,
            status="active",
            registers_deal=in_projection,
            in_update=True,
        )
        if kind.on_completed is not None:
            # Inside the update, so the partner's confirmation means the effect (requests, a deal) happened.
            await kind.on_completed(self, current.step, answers)
        current.done = True
        self._keep_revisable(current)
        self._settle_play(current)
        return StepReceipt(
            step_key=current.step.key,
            completed_at=workflow.now(),
            readiness_score=score,
            next_step=NextStep(step_key=nxt[1].key, title=nxt[1].title) if nxt else None,
        )

    @complete_step.validator
    def _validate_completion(self, submission: StepSubmission) -> None:
        current = self._opens.get(submission.step_key) or self._open
        if submission.step_key in self._reopened:
            return self._validate_revision(submission)
        if submission.step_key in self._revisable:
            return self._validate_self_revision(submission)
        if submission.step_key in self._completed:
            raise ApplicationError("this step is already completed", type="AlreadyCompleted")
        if current is None or current.step.key != submission.step_key:
            raise ApplicationError("this step is not open", type="StepNotOpen")
        if current.submitting or current.done:
            raise ApplicationError("this step is already completed", type="AlreadyCompleted")
        if current.closed:
            raise ApplicationError("this step closed: its play is complete without it", type="StepClosed")
        if current.step.wait is not None or current.waits_for is not None:
            raise ApplicationError("this step waits for an event, not for an answer", type="StepNotOpen")
        if workflow.now() >= self._due(current) or self._exit_reason:
            raise ApplicationError("this step closed at its due date", type="StepClosed")
        _, errors = kind_of(current.step).clean(current.step, submission.answers)
        if errors:
            raise ApplicationError("some answers need attention", errors, type="InvalidAnswers")

    @workflow.query
    def progress(self) -> JourneyProgress:
        views = [
            OpenStepView(
                step_key=c.step.key,
                stage=c.stage,
                due_at=self._due(c),
                reminders_sent=c.reminders_sent,
                waits_for=c.waits_for,
            )
            for c in ([self._open] if self._open else []) + list(self._opens.values())
        ]
        return JourneyProgress(
            stage=self._stage,
            status=self._status,
            open_step=views[0] if views else None,
            open_steps=views,
            completed=list(self._completed),
            overdue=list(self._overdue),
            readiness_score=readiness(self._ctx.playbook, self._completed)[0] if self._ctx else 0,
            trust_score=self._trust,
            feedback_received=len(self._feedback_keys),
            heard=[e.id for e in self._events],
            variants=dict(self._variants),
        )

    # --- the interpreter ------------------------------------------------------------------

    @workflow.run
    async def run(self, inp: JourneyInput) -> JourneyProgress:
        self._inp = inp
        carry = inp.carry or JourneyCarry(stage_index=0)
        self._completed, self._overdue, self._skipped = list(carry.completed), list(carry.overdue), list(carry.skipped)
        self._ends_at, self._paused = inp.window_ends_at, carry.paused
        self._last_progress_at = carry.last_progress_at or workflow.now()
        # A signal can be handled before run starts: its score is the newest one.
        self._trust = self._trust if self._feedback_keys else carry.trust_score
        self._feedback_keys = [*carry.feedback_keys, *self._feedback_keys]
        self._reopened = {r.step_key: r for r in carry.reopened} | self._reopened
        self._send_backs = {**carry.send_backs, **self._send_backs}
        self._revisable = {**carry.revisable, **self._revisable}
        self._events = [*carry.events, *self._events]
        self._variants = dict(carry.variants)
        self._ctx = await workflow.execute_activity_method(
            JourneyActivities.load_journey_context,
            LoadContext(cohort_id=inp.cohort_id, partner_id=inp.partner_id, playbook=inp.playbook),
            start_to_close_timeout=DB_TIMEOUT,
            retry_policy=DB_WRITE,
        )
        playbook, partner = self._ctx.playbook, self._ctx.partner
        if carry.stage_index >= len(playbook.stages):
            return await self._finish("completed", "journey_completed", {})
        stage = playbook.stages[carry.stage_index]
        self._stage = stage.key.value
        self._stage_ends = min(workflow.now() + timedelta(days=stage.duration_days), self._ends_at)
        done = set(self._completed) | set(self._overdue) | set(self._skipped)
        plan = stage_steps(stage, partner.type, partner.verticals, partner.tier)
        pending = [(p, s) for p, s in plan if s.key not in done]
        await self._project("stage_entered", data={"title": stage.title, "ends_at": self._stage_ends.isoformat()})
        while True:
            if not await self._run_steps(playbook, pending):
                return await self._finish("exited", "journey_exited", {"reason": self._exit_reason})
            outcome = await self._gate(stage)
            if outcome == "extend":
                # A step its parallel play closed is not retried: the play was complete without it.
                missed = set(self._overdue) | set(self._skipped)
                retry = {s.key for _, s in pending if s.key in missed and s.key not in self._closed}
                self._overdue = [k for k in self._overdue if k not in retry]
                self._skipped = [k for k in self._skipped if k not in retry]
                pending = [(p, s) for p, s in pending if s.key in retry]
                continue
            if outcome == "exit":
                return await self._finish("exited", "journey_exited", {"reason": self._exit_reason})
            break
        if carry.stage_index + 1 < len(playbook.stages):
            await workflow.wait_condition(workflow.all_handlers_finished)
            workflow.continue_as_new(self._next_input(inp, carry.stage_index + 1))
        await self._await_revisions()
        return await self._finish("completed", "journey_completed", {})

    def _next_input(self, inp: JourneyInput, stage_index: int) -> JourneyInput:
        carry = JourneyCarry(
            stage_index=stage_index,
            completed=self._completed,
            overdue=self._overdue,
            skipped=self._skipped,
            paused=self._paused,
            last_progress_at=self._last_progress_at,
            trust_score=self._trust,
            feedback_keys=self._feedback_keys,
            reopened=list(self._reopened.values()),
            send_backs=self._send_backs,
            revisable=self._revisable,
            events=self._events,
            variants=self._variants,
        )
        return inp.model_copy(
            update={"carry": carry, "window_ends_at": self._ends_at, "playbook": self._next_playbook or inp.playbook}
        )

    async def _run_steps(self, playbook: Playbook, pending: list[tuple[Play, Step]]) -> bool:
        """Run the stage's remaining steps in order (a parallel play's at once); False when the journey must exit."""
        index = 0
        while index < len(pending):
            (play, step), together = pending[index], self._parallel_at(pending, index)
            index += len(together)
            self._upcoming = pending[index:]
            await self._hold_while_paused(None)
            if self._window_over():
                return False
            if workflow.now() >= self._stage_ends:
                for skipped in together:
                    self._skipped.append(skipped.key)
                    data = {"reason": "the stage time-box ended"}
                    await self._project("step_skipped", step_key=skipped.key, data=data)
                continue
            if not await self._conditions_hold(play, step):
                self._skipped += [s.key for s in together[1:]]  # a parallel play's condition is the play's
                continue
            if not (together := await self._in_variants(play, together)):
                continue
            step = together[0]
            if len(together) > 1:
                await self._run_parallel(playbook, play, together)
            elif step.wait is not None and workflow.patched(WAITS):
                await self._run_wait(play, step)
            elif step.unlock is not None and workflow.patched(UNLOCKS):
                if await self._unlocked(play, step):
                    await self._run_step(playbook, play, step)
            else:
                await self._run_step(playbook, play, step)
        self._upcoming = []
        return not self._window_over()

    async def _conditions_hold(self, play: Play, step: Step) -> bool:
        """The play's and the step's `when:`, on facts an activity reads and history keeps; false skips it."""
        expressions = [c for c in (play.when, step.when) if c]
        if not expressions or not workflow.patched("conditions"):
            return True
        assert self._inp
        check = ConditionCheck(
            journey_id=self._jid(),
            partner_id=self._inp.partner_id,
            step_key=step.key,
            expressions=expressions,
            as_of=workflow.now(),
        )
        outcome = await workflow.execute_activity_method(
            ConditionActivities.evaluate_conditions, check, start_to_close_timeout=DB_TIMEOUT, retry_policy=DB_WRITE
        )
        if outcome.holds:
            return True
        self._skipped.append(step.key)
        failed = [e for e, ok in zip(expressions, outcome.results, strict=True) if not ok]
        data = {"reason": f"condition not met: {failed[0]}", "conditions": failed, "facts": outcome.facts}
        await self._project("step_skipped", step_key=step.key, data=data)
        return False

    async def _gate(self, stage: Stage) -> str:
        assert self._ctx and self._inp
        gate, score = stage.gate, readiness(self._ctx.playbook, self._completed)[0]
        detail: dict = {"readiness": score, "required": gate.min_readiness}
        if not (missed := await gate_shortfalls(stage, detail, self._inp.partner_id)):
            await self._project("gate_passed", data=detail)
            return "advance"
        reason = "; ".join(missed)
        if gate.on_fail == "exit":
            self._exit_reason = reason
            return "exit"
        self._status, self._decision = "held", None
        await self._project("gate_held", data={**detail, "reason": reason})
        await self._notify_pm("gate_held", reason)
        while self._decision is None and not self._window_over():
            self._changed = False
            await until_or(
                lambda: self._decision is not None or self._exit_reason is not None or self._changed,
                self._ends_at,
                "gate decision",
            )
        decision = self._decision
        self._status = "active"
        if decision is None:
            return "exit"
        await self._project("gate_decided", data={**detail, "decision": decision.decision, "reason": decision.reason})
        if decision.decision == "exit":
            self._exit_reason = decision.reason or "the program manager ended this journey at the gate"
            return "exit"
        if decision.decision == "extend":
            self._stage_ends = min(workflow.now() + timedelta(days=decision.extend_days), self._ends_at)
        return decision.decision

    async def _finish(self, status: JourneyStatus, kind: JourneyEventKind, data: dict) -> JourneyProgress:
        self._status = status
        self._open = None
        await self._project(kind, data=data)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.progress()
