from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, File, Query, UploadFile

from api.accounts import service
from api.accounts.formats import ExportFormat
from api.accounts.schemas import DeletedOut, ImportOut, OverlapSummaryOut, PartnerOverlapOut
from api.deps import ColumnMapping, KeyProgramsDep, PMAuth, SessionDep
from api.errors import documented
from db.repositories import accounts as repo

router = APIRouter(prefix="/api/v1", tags=["accounts"], dependencies=[PMAuth], responses=documented(401))

FormatQuery = Annotated[ExportFormat, Query(alias="format", description="which CRM export headers to expect")]


def _out(result: service.ImportResult) -> ImportOut:
    return ImportOut(**{k: v for k, v in asdict(result).items() if k != "problems"})


@router.post("/account-executives/import", response_model=ImportOut, responses=documented(413, 422))
async def import_account_executives(
    session: SessionDep,
    file: Annotated[UploadFile, File(description="Salesforce User or HubSpot users export (CSV, UTF-8)")],
    mapping: ColumnMapping,
    fmt: FormatQuery = ExportFormat.auto,
) -> ImportOut:
    """Create or update AEs by email; the whole file or nothing (422 lists every row problem). AEs are the
    vendor's, not a program's: any key may import them."""
    result = await service.import_account_executives(session, file.file, fmt, mapping, filename=file.filename or "")
    return _out(result)


@router.post("/vendor-accounts/import", response_model=ImportOut, responses=documented(413, 422))
async def import_vendor_accounts(
    session: SessionDep,
    file: Annotated[UploadFile, File(description="Salesforce Account or HubSpot company export (CSV, UTF-8)")],
    mapping: ColumnMapping,
    fmt: FormatQuery = ExportFormat.auto,
) -> ImportOut:
    """Create or update CRM accounts by CRM id, then recompute every partner's overlap. The accounts are the
    vendor's, not a program's: any key may import them."""
    result = await service.import_vendor_accounts(session, file.file, fmt, mapping, filename=file.filename or "")
    return _out(result)


@router.get("/overlap", response_model=OverlapSummaryOut)
async def overlap_summary(session: SessionDep, mine: KeyProgramsDep) -> OverlapSummaryOut:
    """Per partner with an uploaded list: how many of the vendor's accounts overlap, by match key. A
    manager's key sees the partners ever in a cohort of their programs."""
    counts = await repo.overlap_counts(session, mine)
    return OverlapSummaryOut.model_validate({"partners": [asdict(c) for c in counts]})


@router.get("/partners/{partner_id}/overlap", response_model=PartnerOverlapOut, responses=documented(404))
async def partner_overlap(partner_id: str, session: SessionDep) -> PartnerOverlapOut:
    """The overlapping accounts of one partner, with owner AE and match confidence; nothing else of its list."""
    partner = await service.require_partner(session, partner_id)
    rows = await repo.vendor_overlap(session, partner_id)
    return PartnerOverlapOut.model_validate(
        {"partner_id": partner.id, "partner_name": partner.name, "accounts": [asdict(r) for r in rows]}
    )


@router.delete("/partners/{partner_id}/accounts", response_model=DeletedOut, responses=documented(404))
async def delete_partner_accounts(partner_id: str, session: SessionDep) -> DeletedOut:
    """Delete a partner's uploaded list; its matches go with it."""
    await service.require_partner(session, partner_id)
    return DeletedOut(partner_id=partner_id, deleted_accounts=await repo.delete_partner_accounts(session, partner_id))
