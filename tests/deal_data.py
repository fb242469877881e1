"""Vendor-side data the deal tests share: AEs and CRM accounts, inserted as a CRM import would."""

from __future__ import annotations

import uuid
from typing import Any

from db.cosell_models import AccountExecutive, VendorAccount
from db.models import Program
from db.session import SessionFactory, transaction
from domain.accounts import name_key, normalize_domain


async def add_ae(sessions: SessionFactory, email: str, name: str, crm_owner: str = "", territory: str = "") -> str:
    async with transaction(sessions) as session:
        ae = AccountExecutive(
            id=str(uuid.uuid4()), email=email.lower(), name=name, territory=territory, crm_owner=crm_owner or name
        )
        session.add(ae)
    return ae.id


async def add_account(
    sessions: SessionFactory, crm_id: str, name: str, domain: str | None, owner_ae_id: str | None
) -> str:
    async with transaction(sessions) as session:
        account = VendorAccount(
            id=str(uuid.uuid4()),
            crm_id=crm_id,
            source="salesforce",
            name=name,
            name_key=name_key(name),
            domain=normalize_domain(domain) if domain else None,
            owner_ae_id=owner_ae_id,
        )
        session.add(account)
    return account.id


async def program_id(sessions: SessionFactory, name: str = "Test program") -> str:
    from sqlalchemy import select

    async with transaction(sessions) as session:
        found = await session.scalar(select(Program.id).where(Program.name == name))
    assert found is not None
    return found


def registration(**overrides: Any) -> dict[str, Any]:
    """Raw form answers of a deal_registration step, as a partner types them."""
    return {
        "account_name": "Contoso Pharmaceuticals",
        "account_domain": "https://www.contoso-pharma.com",
        "ae_email": "",
        "amount": "180,000",
        "currency": "",
        "expected_close": "2027-03-31",
        "partner_role": "sourced",
        "description": "Lab data platform migration to the cloud before their data-centre lease ends.",
        **overrides,
    }
