"""Partner deal registrations in the owner AE's daily digest (IntroBatchWorkflow, patch "deal-news").

The digest's outbox key names the email once per AE and day: `intro-digest/<ae>/<day>` when partners also
asked for intros (the registrations ride along), else `deal-registrations/<ae>/<day>`, the AE's own
"deal registrations" digest. Each registration is claimed by exactly one digest (its notice row), so it
reaches the AE once however often the registration is recorded or the send retried.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from temporalio import activity

from activities.intro_inputs import IntroMail
from db.models import Program
from db.repositories import ae_deal_notices as notices
from db.repositories import partners
from db.session import SessionFactory, transaction
from db.views import seller as seller_links
from domain.links import DealOverlapClaims, LinkSigner
from workflows.intro_batch.join import join_deal_batch

Link = Callable[[str, str], str]


def digest_key(mail: IntroMail, with_requests: bool) -> tuple[str, str]:
    """(outbox kind, dedupe key) of a batch's digest or reminder."""
    suffix = "" if mail.kind == "digest" and mail.n == 0 else f"/{mail.n}"
    if with_requests or mail.kind != "digest":
        return f"intro_{mail.kind}", f"intro-{mail.kind}/{mail.ae_id}/{mail.day}{suffix}"
    return "ae_deal_registrations", f"deal-registrations/{mail.ae_id}/{mail.day}{suffix}"


async def digest_deals(
    session: AsyncSession, signer: LinkSigner, link: Link, mail: IntroMail, key: str
) -> list[dict[str, Any]]:
    """The registrations this digest tells the AE of (claimed for it), each with its overlap link."""
    if mail.kind != "digest":
        return []
    entries = []
    for news in await notices.claim(session, mail.ae_id, mail.deal_ids, key, mail.occurred_at):
        deal, contact = news.deal, await partners.primary_contact(session, news.deal.partner_id)
        program = await session.get(Program, deal.program_id)
        by_pm = news.notice.registered_by == "pm"
        token = signer.sign_deal_overlap(DealOverlapClaims(deal_id=deal.id, ae_id=mail.ae_id))
        account_id = news.account.id if news.account else None
        seller = await seller_links.claims_for(session, deal.journey_id, mail.ae_id, account_id, deal=deal)
        entries.append(
            dict(
                program_name=program.name if program else "",
                partner_name=news.partner.name,
                registered_by=f"the program manager, for {news.partner.name}" if by_pm else news.notice.registered_by,
                contact=f"{contact.name} <{contact.email}>" if contact else "",
                account_name=deal.account_name,
                segment=news.account.segment if news.account else "",
                amount=f"{deal.amount:,} {deal.currency}" if deal.amount is not None else "not given",
                stage=deal.stage.replace("_", " "),
                role=deal.partner_role,
                note=news.notice.note,
                link=link("/ae/deal", token),
                seller=link("/ae/seller", signer.sign_seller(seller)) if seller else "",
            )
        )
    return entries


def subject(mail: IntroMail, partner_names: list[str], requests: int, deals: list[dict[str, Any]]) -> str:
    many = "s" if requests > 1 else ""
    if mail.kind != "digest":
        return f"Reminder: {requests} intro request{many} waiting for your answer"
    registrations = f"{len(deals)} deal registration{'s' if len(deals) > 1 else ''}"
    if not requests:
        return f"{registrations} on your accounts from {_names(sorted({d['partner_name'] for d in deals}))}"
    asked = f"{requests} co-sell intro request{many} from {_names(partner_names)}"
    return f"{asked} and {registrations}" if deals else asked


def _names(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + f" and {names[-1]}"


async def tell_owner(
    sessions: SessionFactory, notice_batch: str | None, deal_id: str, task_queue: str, link_max_age_days: int
) -> None:
    """From the registering activity, after its commit: the pending notice joins its AE's batch (again,
    harmlessly, after a retry). A method called outside an activity (tests of the recording) has no client."""
    if notice_batch is None or not activity.in_activity():
        return

    async def move_to(batch_id: str) -> None:
        async with transaction(sessions) as session:
            await notices.move_to_batch(session, [deal_id], batch_id)

    await join_deal_batch(activity.client(), task_queue, notice_batch, deal_id, link_max_age_days, move_to)


def pending_batch(notice: Any) -> str | None:
    return notice.batch_id if notice is not None and notice.status == notices.PENDING else None
