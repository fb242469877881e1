"""The partner directory and the PM's edits to partners and their contacts; every edit is audited."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from api.api_keys import actor_of
from api.cohorts.service import invalid
from api.errors import Conflict, NotFound
from api.partners.schemas import (
    CohortRef,
    ContactCreate,
    ContactOut,
    ContactPatch,
    ContactRestore,
    OwnerOut,
    PartnerDetail,
    PartnerPage,
    PartnerPatch,
    PartnerSummary,
)
from db.models import AuditLog, Partner, PartnerContact
from db.repositories import cohorts, partners, suppressions, users
from db.repositories.partners import DirectoryFilter
from db.user_models import User

HARD = "bounce"  # the address does not exist: only a changed address can receive email again


async def directory(session: AsyncSession, f: DirectoryFilter, limit: int, offset: int) -> PartnerPage:
    total, rows = await partners.directory(session, f, limit, offset)
    return PartnerPage(
        total=total, limit=limit, offset=offset, partners=[PartnerSummary.model_validate(p) for p in rows]
    )


async def _partner(session: AsyncSession, partner_id: str) -> Partner:
    partner = await session.get(Partner, partner_id)
    if partner is None:
        raise NotFound(f"partner {partner_id} not found")
    return partner


async def _contact(session: AsyncSession, partner_id: str, contact_id: int) -> PartnerContact:
    await _partner(session, partner_id)
    contact = await partners.contact(session, partner_id, contact_id)
    if contact is None:
        raise NotFound(f"partner {partner_id} has no contact {contact_id}")
    return contact


async def _audit(session: AsyncSession, action: str, partner_id: str, detail: dict[str, Any]) -> None:
    session.add(AuditLog(actor=actor_of(session), action=action, detail={"partner_id": partner_id, **detail}))
    await session.flush()


async def detail(session: AsyncSession, partner_id: str) -> PartnerDetail:
    partner = await _partner(session, partner_id)
    rows = await partners.contacts(session, partner_id)
    stopped = await suppressions.of(session, [c.email for c in rows])
    contacts = []
    for c in rows:
        s = stopped.get(c.email.lower())
        contacts.append(
            ContactOut(
                id=c.id,
                email=c.email,
                name=c.name,
                role=c.role,
                is_primary=c.is_primary,
                suppressed=s.scope if s else None,
                suppressed_because=s.reason if s else None,
            )
        )
    windows = [
        CohortRef(id=c.id, name=c.name, status=c.status, starts_at=c.starts_at)
        for c in await cohorts.of_partner(session, partner_id)
    ]
    summary = PartnerSummary.model_validate(partner).model_dump()
    owner = await session.get(User, partner.owner_user_id) if partner.owner_user_id else None
    owner_out = OwnerOut(id=owner.id, email=owner.email, name=owner.name) if owner else None
    return PartnerDetail(**summary, created_at=partner.created_at, owner=owner_out, contacts=contacts, cohorts=windows)


CLEARABLE = {"external_id", "owner"}  # the optional ones; every other column is required


async def change(session: AsyncSession, partner_id: str, body: PartnerPatch) -> PartnerDetail:
    partner = await _partner(session, partner_id)
    # null clears an optional field and leaves a required one as it is (it was a not-null 500)
    given = body.model_dump(exclude_unset=True, mode="json")
    values = {k: v for k, v in given.items() if v is not None or k in CLEARABLE}
    if values.get("external_id") and values["external_id"] != partner.external_id:
        taken = await partners.by_external_id(session, values["external_id"])
        if taken is not None:
            raise Conflict("another partner has this external_id", {"external_id": values["external_id"]})
    if "owner" in values:
        values["owner_user_id"] = await _owner_id(session, values.pop("owner"))
    before = {key: getattr(partner, key) for key in values}
    for key, value in values.items():
        setattr(partner, key, value)
    await _audit(session, "partner_changed", partner_id, {"from": before, "to": values})
    return await detail(session, partner_id)


async def _owner_id(session: AsyncSession, email: str | None) -> str | None:
    if email is None:
        return None
    user = await users.by_email(session, email)
    if user is None:
        # A 404 like any other id named in a body: the request is well-formed, the user does not exist.
        raise NotFound(f"no user {email}: create them first (cosell users create)", {"owner": email})
    return user.id


async def _address_free(session: AsyncSession, partner_id: str, email: str) -> None:
    if email in await partners.contacts_by_email(session, partner_id):
        raise Conflict(f"the partner already has a contact {email}", {"email": email})


async def add_contact(session: AsyncSession, partner_id: str, body: ContactCreate) -> PartnerDetail:
    await _partner(session, partner_id)
    await _address_free(session, partner_id, body.email)
    row = PartnerContact(partner_id=partner_id, email=body.email, name=body.name, role=body.role, is_primary=False)
    session.add(row)
    await session.flush()
    if body.is_primary or await partners.primary_contact(session, partner_id) is row:
        await partners.make_primary(session, partner_id, row.id)
    await _audit(session, "contact_added", partner_id, {"contact_id": row.id, **body.model_dump()})
    return await detail(session, partner_id)


async def change_contact(session: AsyncSession, partner_id: str, contact_id: int, body: ContactPatch) -> PartnerDetail:
    row = await _contact(session, partner_id, contact_id)
    values = body.model_dump(exclude_unset=True, exclude_none=True)
    if values.get("email") and values["email"] != row.email:
        await _address_free(session, partner_id, values["email"])
    if values.get("is_primary") is False and row.is_primary:
        raise Conflict("make another contact primary instead; a partner always has one", {"contact_id": contact_id})
    before = {key: getattr(row, key) for key in values}
    for key in ("email", "name", "role"):
        if key in values:
            setattr(row, key, values[key])
    await session.flush()
    if values.get("is_primary"):
        await partners.make_primary(session, partner_id, contact_id)
    await _audit(session, "contact_changed", partner_id, {"contact_id": contact_id, "from": before, "to": values})
    return await detail(session, partner_id)


async def remove_contact(session: AsyncSession, partner_id: str, contact_id: int) -> PartnerDetail:
    row = await _contact(session, partner_id, contact_id)
    remaining = [c for c in await partners.contacts(session, partner_id) if c.id != contact_id]
    if not remaining:
        raise Conflict("a partner needs at least one contact; add another before removing this one")
    await session.delete(row)
    await session.flush()
    if row.is_primary:
        await partners.make_primary(session, partner_id, remaining[0].id)
    await _audit(session, "contact_removed", partner_id, {"contact_id": contact_id, "email": row.email})
    return await detail(session, partner_id)


async def restore_contact(
    session: AsyncSession, partner_id: str, contact_id: int, body: ContactRestore
) -> PartnerDetail:
    """A hard-bounced address stays suppressed (it does not exist): the contact moves to a changed address.
    A spam report or unsubscribe is lifted on the PM's word, with the reason kept in the audit log."""
    row = await _contact(session, partner_id, contact_id)
    found = await suppressions.get(session, row.email)
    if found is None:
        raise Conflict(f"{row.email} is not suppressed; nothing to restore", {"contact_id": contact_id})
    new_email = body.email if body.email and body.email != row.email else None
    if found.reason == HARD and new_email is None:
        raise invalid("email", f"{row.email} hard-bounced; restoring it needs a changed address")
    if new_email is not None:
        if await suppressions.get(session, new_email) is not None:
            raise invalid("email", f"{new_email} is suppressed too")
        await _address_free(session, partner_id, new_email)
    if found.reason != HARD:
        await suppressions.lift(session, row.email)
    detail_ = {
        "contact_id": contact_id,
        "reason": body.reason,
        "suppression": {"scope": found.scope, "reason": found.reason},
        "email_from": row.email,
        "email_to": new_email or row.email,
    }
    row.email = new_email or row.email
    await _audit(session, "contact_restored", partner_id, detail_)
    return await detail(session, partner_id)
