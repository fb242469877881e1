from __future__ import annotations

from pydantic import BaseModel


class ImportOut(BaseModel):
    kind: str  # account_executives | vendor_accounts
    source: str  # salesforce | hubspot | mapped | auto
    rows: int
    created: int
    updated: int
    unchanged: int
    overlapping_accounts: int | None = None


class PartnerOverlapCountOut(BaseModel):
    partner_id: str
    partner_name: str
    accounts: int
    overlapping: int
    by_key: dict[str, int]


class OverlapSummaryOut(BaseModel):
    partners: list[PartnerOverlapCountOut]


class OverlapAccountOut(BaseModel):
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


class PartnerOverlapOut(BaseModel):
    partner_id: str
    partner_name: str
    accounts: list[OverlapAccountOut]


class DeletedOut(BaseModel):
    partner_id: str
    deleted_accounts: int
