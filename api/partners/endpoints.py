"""The partner directory: list and search, one partner, edits and contacts (audited, Idempotency-Key)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, File, Path, Query, UploadFile

from api.accounts.schemas import ImportOut
from api.deps import ColumnMapping, IdempotencyKey, KeyProgramsDep, PMAuth, SessionDep
from api.errors import documented
from api.fields import NO_NUL
from api.partners import imports, service
from api.partners.import_formats import PartnerFormat
from api.partners.schemas import (
    PAGE_CAP,
    ContactCreate,
    ContactPatch,
    ContactRestore,
    PartnerDetail,
    PartnerPage,
    PartnerPatch,
)
from db.repositories.partners import DirectoryFilter
from playbooks.model import PartnerType

router = APIRouter(prefix="/api/v1/partners", tags=["partners"], dependencies=[PMAuth], responses=documented(401))
EDIT = documented(404, 409, 413, 422)
# A contacts row id: a 32-bit integer in the database, so a larger one is a 422 (it was a 500 on Postgres).
ContactId = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.get("", response_model=PartnerPage, responses=documented(422))
async def list_partners(
    session: SessionDep,
    mine: KeyProgramsDep,
    q: str | None = Query(None, max_length=200, pattern=NO_NUL, description="Part of the partner's name, any case"),
    type: PartnerType | None = None,
    vertical: str | None = Query(None, max_length=120, pattern=NO_NUL),
    region: str | None = Query(None, max_length=60, pattern=NO_NUL),
    tier: int | None = Query(None, ge=1, le=3),
    limit: int = Query(50, ge=1, le=PAGE_CAP, description=f"At most {PAGE_CAP} per page"),
    offset: int = Query(0, ge=0),
) -> PartnerPage:
    """Partners by name, one page at a time; `total` says how many match. A manager's key lists the
    partners ever in a cohort of their programs."""
    kind = type.value if type else None
    f = DirectoryFilter(q=q, type=kind, vertical=vertical, region=region, tier=tier, programs=mine)
    return await service.directory(session, f, limit, offset)


@router.post("/import", response_model=ImportOut, responses=documented(413, 422))
async def import_partners(
    session: SessionDep,
    file: Annotated[
        UploadFile,
        File(description="Salesforce partner accounts, HubSpot companies or PartnerStack partners (CSV, UTF-8)"),
    ],
    mapping: ColumnMapping,
    mine: KeyProgramsDep,
    fmt: Annotated[
        PartnerFormat, Query(alias="format", description="which export's headers to expect")
    ] = PartnerFormat.auto,
) -> ImportOut:
    """Create or update partners by external id (and each row's contact); the whole file or nothing
    (422 lists every problem with its line and column). A manager's key updates only partners of its
    programs (or of none yet): a row naming another program's partner is one of those problems."""
    result = await imports.import_partners(session, file.file, fmt, mapping, filename=file.filename or "", allowed=mine)
    return ImportOut(**{k: v for k, v in asdict(result).items() if k != "problems"})


@router.get("/{partner_id}", response_model=PartnerDetail, responses=documented(404))
async def get_partner(partner_id: str, session: SessionDep) -> PartnerDetail:
    """One partner with its contacts (and whether email to each is suppressed) and its cohorts."""
    return await service.detail(session, partner_id)


@router.patch("/{partner_id}", response_model=PartnerDetail, responses=EDIT)
async def change_partner(
    partner_id: str, body: PartnerPatch, session: SessionDep, key: IdempotencyKey
) -> PartnerDetail:
    return await key.answer(await service.change(session, partner_id, body), 200)


@router.post("/{partner_id}/contacts", status_code=201, response_model=PartnerDetail, responses=EDIT)
async def add_contact(partner_id: str, body: ContactCreate, session: SessionDep, key: IdempotencyKey) -> PartnerDetail:
    return await key.answer(await service.add_contact(session, partner_id, body), 201)


@router.patch("/{partner_id}/contacts/{contact_id}", response_model=PartnerDetail, responses=EDIT)
async def change_contact(
    partner_id: str, contact_id: ContactId, body: ContactPatch, session: SessionDep, key: IdempotencyKey
) -> PartnerDetail:
    return await key.answer(await service.change_contact(session, partner_id, contact_id, body), 200)


@router.delete("/{partner_id}/contacts/{contact_id}", response_model=PartnerDetail, responses=documented(404, 409, 422))
async def remove_contact(
    partner_id: str, contact_id: ContactId, session: SessionDep, key: IdempotencyKey
) -> PartnerDetail:
    return await key.answer(await service.remove_contact(session, partner_id, contact_id), 200)


@router.post("/{partner_id}/contacts/{contact_id}/restore", response_model=PartnerDetail, responses=EDIT)
async def restore_contact(
    partner_id: str, contact_id: ContactId, body: ContactRestore, session: SessionDep, key: IdempotencyKey
) -> PartnerDetail:
    """Let email go to a suppressed contact again, with a reason. A hard bounce needs a changed address
    (422 otherwise); a spam report or unsubscribe is lifted."""
    return await key.answer(await service.restore_contact(session, partner_id, contact_id, body), 200)
