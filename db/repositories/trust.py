"""Trust score persistence: recompute from what AEs said (feedback, intro answers) and store it with its
explanation on the partner row. The caller owns the transaction."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.cosell_models import AccountExecutive, AeFeedback, Deal, IntroRequest, VendorAccount
from db.models import Partner
from domain.trust import Feedback, IntroAnswer, TrustScore, score

ANSWERED_INTROS = ("accepted", "declined", "not_now")


async def feedback_of(session: AsyncSession, partner_id: str) -> list[Feedback]:
    """Every answered feedback form about the partner (an answer stays counted after the form expires)."""
    rows = await session.execute(
        select(AeFeedback, AccountExecutive.name, Deal.account_name)
        .join(AccountExecutive, AccountExecutive.id == AeFeedback.ae_id)
        .join(Deal, Deal.id == AeFeedback.deal_id)
        .where(AeFeedback.partner_id == partner_id, AeFeedback.submitted_at.is_not(None))
    )
    return [
        Feedback(
            deal_id=row.deal_id,
            ae_id=row.ae_id,
            ae_name=ae_name,
            contribution=row.contribution or "none",
            role_clarity=row.role_clarity or 3,
            responsiveness=row.responsiveness or 3,
            invite_again=bool(row.invite_again),
            submitted_at=row.submitted_at,
            account_name=account_name,
        )
        for row, ae_name, account_name in rows.all()
    ]


async def intro_answers_of(session: AsyncSession, partner_id: str) -> list[IntroAnswer]:
    rows = await session.execute(
        select(IntroRequest.id, IntroRequest.ae_id, IntroRequest.status, VendorAccount.name)
        .join(VendorAccount, VendorAccount.id == IntroRequest.vendor_account_id)
        .where(IntroRequest.partner_id == partner_id, IntroRequest.status.in_(ANSWERED_INTROS))
        .order_by(IntroRequest.answered_at, IntroRequest.id)
    )
    return [IntroAnswer(intro_id=i, ae_id=a, status=s, account_name=n) for i, a, s, n in rows.all()]


async def recompute_trust(session: AsyncSession, partner_id: str) -> TrustScore:
    """Score the partner from scratch (idempotent: the same answers always give the same score) and store it."""
    trust = score(await feedback_of(session, partner_id), await intro_answers_of(session, partner_id))
    await session.execute(
        update(Partner).where(Partner.id == partner_id).values(trust_score=trust.score, trust_signals=trust.signals)
    )
    return trust
