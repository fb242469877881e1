"""What an AE sees about an intro request: the account, the partner's reason and the partner's one-pager,
assembled from what the partner submitted in earlier steps (ICP, packaged offer, use case, proof points).
Shared by the digest email and the AE's answer page, so both say the same thing."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from db.cosell_models import AccountExecutive, IntroRequest, VendorAccount
from db.models import Partner
from db.repositories import journeys
from db.views.journeys import journey_facts
from playbooks.model import Playbook

# The readiness signals an AE cares about, in the order a one-pager reads; a step is filed under the
# one of these it scores most on.
SECTIONS = {
    "icp_clarity": "Ideal customer",
    "packaged_offer": "Packaged offer",
    "repeatable_use_case": "Use case",
    "proof_points": "Proof points",
}
ANSWER_WORDS = {"accepted": "accepted", "declined": "declined", "not_now": "answered “not now” to"}


@dataclass(frozen=True)
class OnePagerSection:
    title: str
    step_title: str
    items: list[tuple[str, str]]


@dataclass(frozen=True)
class IntroView:
    request: IntroRequest
    partner: Partner
    account: VendorAccount
    ae: AccountExecutive
    program_name: str
    one_pager: list[OnePagerSection]

    @property
    def answered(self) -> bool:
        return self.request.status in ANSWER_WORDS


def _shown(value: object) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def one_pager(playbook: Playbook, submissions: dict[str, dict]) -> list[OnePagerSection]:
    """The partner's own words from completed form steps, grouped by what they prove."""
    found: list[tuple[int, OnePagerSection]] = []
    order = list(SECTIONS)
    for _, _, step in playbook.iter_steps():
        answers = submissions.get(step.key)
        scored = {s.value: p for s, p in step.signals.items() if s.value in SECTIONS}
        if not answers or not step.fields or not scored:
            continue
        signal = max(scored, key=lambda s: (scored[s], -order.index(s)))
        items = [(f.label, _shown(answers[f.key])) for f in step.fields if answers.get(f.key) not in (None, "", [])]
        if items:
            found.append((order.index(signal), OnePagerSection(SECTIONS[signal], step.title, items)))
    return [section for _, section in sorted(found, key=lambda pair: pair[0])]


async def intro_view(session: AsyncSession, request_id: str) -> IntroView | None:
    request = await session.get(IntroRequest, request_id)
    if request is None:
        return None
    partner = await session.get(Partner, request.partner_id)
    account = await session.get(VendorAccount, request.vendor_account_id)
    ae = await session.get(AccountExecutive, request.ae_id)
    facts = await journey_facts(session, request.journey_id)
    if partner is None or account is None or ae is None or facts is None:
        return None
    submissions = await journeys.submissions(session, request.journey_id)
    return IntroView(request, partner, account, ae, facts.program_name, one_pager(facts.playbook, submissions))
