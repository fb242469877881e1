"""The AE feedback form's data (read model) and its submission (an Update to AeFeedbackWorkflow)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client

from api.link_pages.updates import UpdateOutcome, submit_update
from db.cosell_models import AeFeedback
from db.models import Partner, utcnow
from db.repositories import feedback as feedback_repo
from db.views.feedback import FeedbackFacts, feedback_facts, outcome_of
from domain.links import FeedbackClaims
from domain.trust import CONTRIBUTIONS, feedback_errors
from workflows.ae_feedback.messages import FeedbackAnswers, FeedbackReceipt, feedback_workflow_id
from workflows.ae_feedback.workflow import AeFeedbackWorkflow

CONTRIBUTION_LABELS = {
    "sourced": "Sourced it — the partner brought us this opportunity",
    "accelerated": "Accelerated it — the partner moved it faster or unblocked it",
    "influenced": "Influenced it — the partner shaped the decision",
    "none": "Did not contribute",
}
assert tuple(CONTRIBUTION_LABELS) == CONTRIBUTIONS


@dataclass
class FeedbackPage:
    facts: FeedbackFacts

    @property
    def row(self) -> AeFeedback:
        return self.facts.row

    @property
    def closed(self) -> bool:
        return self.row.status == "expired" or utcnow() >= self.row.expires_at

    @property
    def outcome(self) -> str:
        return outcome_of(self.facts.deal)

    @property
    def amount(self) -> str:
        deal = self.facts.deal
        return f"{deal.currency} {deal.amount:,}" if deal.amount else ""

    @property
    def pm_email(self) -> str:
        return self.facts.program.pm_email if self.facts.program else ""

    def previous(self) -> dict[str, Any]:
        """The stored answer, as form values, so a second visit shows (and revises) it."""
        row = self.row
        if row.submitted_at is None:
            return {}
        return {
            "contribution": row.contribution,
            "role_clarity": str(row.role_clarity),
            "responsiveness": str(row.responsiveness),
            "invite_again": "yes" if row.invite_again else "no",
            "comment": row.comment,
        }


async def load(session: AsyncSession, claims: FeedbackClaims) -> FeedbackPage | None:
    facts = await feedback_facts(session, claims.deal_id, claims.ae_id)
    return FeedbackPage(facts) if facts is not None else None


@dataclass
class Parsed:
    values: dict[str, Any]
    answers: FeedbackAnswers | None
    errors: dict[str, str] = field(default_factory=dict)


def _rating(value: str) -> int | str:
    return int(value) if value.isdigit() else value


def parse(form: dict[str, str]) -> Parsed:
    """Form strings -> answers, with the same rules the workflow's validator applies."""
    values = {k: form.get(k, "").strip() for k in ("contribution", "role_clarity", "responsiveness", "invite_again")}
    values["comment"] = form.get("comment", "").strip()
    invite = {"yes": True, "no": False}.get(values["invite_again"])
    role, responsive = _rating(values["role_clarity"]), _rating(values["responsiveness"])
    errors = feedback_errors(values["contribution"], role, responsive, invite, values["comment"])
    if errors:
        return Parsed(values, None, errors)
    answers = FeedbackAnswers(
        contribution=values["contribution"],
        role_clarity=int(role),
        responsiveness=int(responsive),
        invite_again=bool(invite),
        comment=values["comment"],
    )
    return Parsed(values, answers)


async def submit(
    client: Client, claims: FeedbackClaims, answers: FeedbackAnswers, submission_id: str
) -> UpdateOutcome[FeedbackReceipt]:
    return await submit_update(
        client.get_workflow_handle(feedback_workflow_id(claims.deal_id, claims.ae_id)),
        AeFeedbackWorkflow.submit,
        answers,
        update_id=f"feedback/{submission_id}",
    )


# --- the PM's view: GET /api/v1/partners/{id}/trust ---------------------------------------------


async def trust_view(session: AsyncSession, partner_id: str) -> dict[str, Any] | None:
    partner = await session.get(Partner, partner_id)
    if partner is None:
        return None
    feedback = [
        {
            "deal_id": row.deal_id,
            "account": deal.account_name,
            "outcome": outcome_of(deal),
            "ae": {"id": row.ae_id, "name": ae.name, "email": ae.email},
            "status": row.status,
            "requested_at": _iso(row.requested_at),
            "expires_at": _iso(row.expires_at),
            "submitted_at": _iso(row.submitted_at),
            "revisions": row.revisions,
            "answers": None
            if row.submitted_at is None
            else {
                "contribution": row.contribution,
                "role_clarity": row.role_clarity,
                "responsiveness": row.responsiveness,
                "invite_again": row.invite_again,
                "comment": row.comment,
            },
        }
        for row, deal, ae in await feedback_repo.of_partner(session, partner_id)
    ]
    return {
        "partner_id": partner.id,
        "name": partner.name,
        "trust_score": partner.trust_score,
        "explanation": list(partner.trust_signals),
        "feedback": feedback,
    }


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None
