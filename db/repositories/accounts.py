"""Vendor and partner accounts and their matches. The caller owns the transaction (db.session.transaction).

Overlap is the only thing that crosses sides: `partner_overlap` is the only read of vendor data meant
for a partner, and the vendor-side reads return matched partner accounts only.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.cosell_models import AccountExecutive, AccountMatch, PartnerAccount, VendorAccount
from db.models import Partner, utcnow
from db.repositories import partner_events
from db.repositories.partners import in_programs
from db.upsert import upsert_many
from domain.account_lists import ParsedAccount
from domain.accounts import AccountRef, Match, VendorIndex, name_key
from playbooks.model import WaitEvent

# Rows per statement: below SQLite's and asyncpg's bind-parameter limits for these tables.
CHUNK = 1000


@dataclass(frozen=True)
class OverlapRow:
    vendor_account_id: str
    account_name: str
    domain: str | None
    segment: str
    owner_ae_id: str | None
    owner_ae_name: str | None
    match_key: str
    confidence: int


@dataclass(frozen=True)
class PartnerOverlapCount:
    partner_id: str
    partner_name: str
    accounts: int  # the partner's list size: a count, never the accounts themselves
    overlapping: int
    by_key: dict[str, int]


@dataclass(frozen=True)
class VendorOverlapRow:
    """One overlapping pair as the vendor sees it: its own account and the partner's name for it."""

    vendor_account_id: str
    account_name: str
    domain: str | None
    segment: str
    owner_ae_id: str | None
    owner_ae_name: str | None
    partner_account_name: str
    partner_account_domain: str | None
    match_key: str
    confidence: int


def _chunks(rows: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


async def vendor_index(session: AsyncSession) -> VendorIndex:
    rows = await session.execute(
        select(VendorAccount.id, VendorAccount.name, VendorAccount.domain, VendorAccount.name_key).order_by(
            VendorAccount.crm_id
        )
    )
    return VendorIndex(AccountRef(ref=r.id, name=r.name, domain=r.domain, name_key=r.name_key) for r in rows)


async def _insert_matches(session: AsyncSession, partner_of: dict[int, str], matches: list[Match]) -> None:
    now = utcnow()
    values = [
        {
            "partner_account_id": m.partner_ref,
            "vendor_account_id": m.vendor_ref,
            "partner_id": partner_of[m.partner_ref],
            "match_key": m.key,
            "confidence": m.confidence,
            "matched_at": now,
        }
        for m in matches
    ]
    for chunk in _chunks(values):
        await session.execute(insert(AccountMatch), list(chunk))


async def replace_partner_accounts(
    session: AsyncSession, partner_id: str, accounts: Sequence[ParsedAccount], index: VendorIndex | None = None
) -> int:
    """Replace the partner's whole list and its matches; returns how many of its accounts overlap.

    Atomic with the caller's transaction: a failure leaves the previous list and matches in place.
    Pass `index` to reuse one VendorIndex across several partners.
    """
    await delete_partner_accounts(session, partner_id)
    now = utcnow()
    rows = [
        {
            "partner_id": partner_id,
            "name": a.name,
            "name_key": name_key(a.name),
            "domain": a.domain,
            "line": a.line,
            "uploaded_at": now,
        }
        for a in accounts
    ]
    refs: list[AccountRef] = []
    for chunk in _chunks(rows):
        ids = await session.scalars(
            insert(PartnerAccount).returning(PartnerAccount.id, sort_by_parameter_order=True), list(chunk)
        )
        refs.extend(
            AccountRef(ref=pk, name=row["name"], domain=row["domain"], name_key=row["name_key"])
            for pk, row in zip(ids, chunk, strict=True)
        )
    if index is None:
        index = await vendor_index(session)
    matches = index.match(refs)
    await _insert_matches(session, {r.ref: partner_id for r in refs}, matches)
    if matches:  # told to the partner's running journeys after the commit: an `unlock: overlap` step opens
        await partner_events.note(session, partner_id, WaitEvent.overlap_found, f"{partner_id}@{now.isoformat()}", now)
    return len(matches)


async def delete_partner_accounts(session: AsyncSession, partner_id: str) -> int:
    """The partner's list and every match of it go; returns how many accounts were deleted."""
    await session.execute(delete(AccountMatch).where(AccountMatch.partner_id == partner_id))
    result = await session.execute(delete(PartnerAccount).where(PartnerAccount.partner_id == partner_id))
    return int(getattr(result, "rowcount", 0) or 0)


async def rematch_all(session: AsyncSession) -> None:
    """Recompute every match after the vendor's accounts changed (a re-import); partners that had no
    overlap and now have some are noted for their running journeys (told after the commit)."""
    before = set(await session.scalars(select(AccountMatch.partner_id).distinct()))
    await session.execute(delete(AccountMatch))
    index = await vendor_index(session)
    rows = await session.execute(
        select(
            PartnerAccount.id, PartnerAccount.partner_id, PartnerAccount.name, PartnerAccount.domain,
            PartnerAccount.name_key,
        ).order_by(PartnerAccount.id)
    )  # fmt: skip
    partner_of: dict[int, str] = {}
    refs = []
    for r in rows:
        partner_of[r.id] = r.partner_id
        refs.append(AccountRef(ref=r.id, name=r.name, domain=r.domain, name_key=r.name_key))
    matches = index.match(refs)
    await _insert_matches(session, partner_of, matches)
    now = utcnow()
    found = sorted({partner_of[m.partner_ref] for m in matches} - before)
    event = WaitEvent.overlap_found
    await partner_events.note_many(
        session, [(p, partner_events.event(event, f"{p}@{now.isoformat()}", now)) for p in found]
    )


async def partner_overlap(session: AsyncSession, partner_id: str) -> list[OverlapRow]:
    """The only vendor data a partner may see: its overlapping accounts, their owner AE and segment."""
    rows = await session.execute(
        select(
            VendorAccount.id, VendorAccount.name, VendorAccount.domain, VendorAccount.segment,
            AccountExecutive.id.label("ae_id"), AccountExecutive.name.label("ae_name"),
            func.min(AccountMatch.match_key).label("match_key"), func.max(AccountMatch.confidence).label("confidence"),
        )
        .join(VendorAccount, VendorAccount.id == AccountMatch.vendor_account_id)
        .outerjoin(AccountExecutive, AccountExecutive.id == VendorAccount.owner_ae_id)
        .where(AccountMatch.partner_id == partner_id)
        .group_by(
            VendorAccount.id, VendorAccount.name, VendorAccount.domain, VendorAccount.segment,
            AccountExecutive.id, AccountExecutive.name,
        )
        .order_by(VendorAccount.name, VendorAccount.id)
    )  # fmt: skip
    # Two rows of the partner's list can match one vendor account: the partner sees the account once.
    return [OverlapRow(r.id, r.name, r.domain, r.segment, r.ae_id, r.ae_name, r.match_key, r.confidence) for r in rows]


async def vendor_overlap(session: AsyncSession, partner_id: str) -> list[VendorOverlapRow]:
    """What the vendor sees for one partner: each overlapping pair, never the partner's other accounts."""
    rows = await session.execute(
        select(
            VendorAccount.id, VendorAccount.name, VendorAccount.domain, VendorAccount.segment,
            AccountExecutive.id.label("ae_id"), AccountExecutive.name.label("ae_name"),
            PartnerAccount.name.label("p_name"), PartnerAccount.domain.label("p_domain"),
            AccountMatch.match_key, AccountMatch.confidence,
        )
        .join(VendorAccount, VendorAccount.id == AccountMatch.vendor_account_id)
        .join(PartnerAccount, PartnerAccount.id == AccountMatch.partner_account_id)
        .outerjoin(AccountExecutive, AccountExecutive.id == VendorAccount.owner_ae_id)
        .where(AccountMatch.partner_id == partner_id)
        .order_by(VendorAccount.name, PartnerAccount.line)
    )  # fmt: skip
    return [
        VendorOverlapRow(
            r.id, r.name, r.domain, r.segment, r.ae_id, r.ae_name, r.p_name, r.p_domain, r.match_key, r.confidence
        )
        for r in rows
    ]


async def _pairs(session: AsyncSession, stmt: Any) -> dict[Any, Any]:
    return {a: b for a, b in await session.execute(stmt)}


async def overlap_counts(session: AsyncSession, programs: Collection[str] | None = None) -> list[PartnerOverlapCount]:
    """Per partner with an uploaded list: list size, overlapping vendor accounts, and matches by key. With
    `programs`, only the partners ever in a cohort of them."""
    listed = select(PartnerAccount.partner_id, func.count()).group_by(PartnerAccount.partner_id)
    if programs is not None:
        listed = listed.where(PartnerAccount.partner_id.in_(in_programs(programs)))
    sizes = await _pairs(session, listed)
    overlapping = await _pairs(
        session,
        select(AccountMatch.partner_id, func.count(func.distinct(AccountMatch.vendor_account_id))).group_by(
            AccountMatch.partner_id
        ),
    )
    by_key: dict[str, dict[str, int]] = {}
    keyed = select(
        AccountMatch.partner_id, AccountMatch.match_key, func.count(func.distinct(AccountMatch.vendor_account_id))
    ).group_by(AccountMatch.partner_id, AccountMatch.match_key)
    for partner_id, key, count in await session.execute(keyed):
        by_key.setdefault(partner_id, {})[key] = count
    names = await _pairs(session, select(Partner.id, Partner.name).where(Partner.id.in_(list(sizes))))
    counts = [
        PartnerOverlapCount(pid, names.get(pid, ""), size, overlapping.get(pid, 0), by_key.get(pid, {}))
        for pid, size in sizes.items()
    ]
    return sorted(counts, key=lambda c: (-c.overlapping, c.partner_name))


# --- vendor side writes (imports) ---------------------------------------------------------------


async def existing_by(session: AsyncSession, model: Any, key: str, values: Iterable[str]) -> dict[str, Any]:
    """Existing rows of `model` whose `key` column is one of `values`, keyed by that value."""
    column = getattr(model, key)
    found: dict[str, Any] = {}
    values = list(values)
    for chunk in _chunks(values):
        for row in await session.scalars(select(model).where(column.in_(list(chunk)))):
            found[getattr(row, key)] = row
    return found


async def upsert_rows(session: AsyncSession, model: Any, key: str, rows: list[dict[str, Any]]) -> None:
    """Concurrent imports of one file never duplicate: the unique key decides insert or update."""
    await upsert_many(session, model, rows, key, CHUNK // 2)


async def account_executives_by_owner(session: AsyncSession) -> dict[str, str]:
    """Owner name as exports print it (crm_owner, else the AE's name), case-folded -> AE id."""
    owners: dict[str, str] = {}
    for ae_id, name, crm_owner in await session.execute(
        select(AccountExecutive.id, AccountExecutive.name, AccountExecutive.crm_owner).order_by(AccountExecutive.email)
    ):
        for label in (crm_owner, name):
            if label:
                owners.setdefault(" ".join(label.split()).casefold(), ae_id)
    return owners


async def partner_account_count(session: AsyncSession, partner_id: str) -> int:
    return int(await session.scalar(select(func.count()).where(PartnerAccount.partner_id == partner_id)) or 0)
