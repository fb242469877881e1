"""A vendor's CRM side (AEs and accounts) and partner overlaps, written straight into the read model so
intro-request tests do not depend on the importer or the matcher (tested on their own)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from db.cosell_models import AccountExecutive, AccountMatch, PartnerAccount, VendorAccount
from db.session import SessionFactory, transaction
from domain.accounts import name_key

AES = {
    "dana": ("Dana Whitfield", "dana.whitfield@vendor.example", "Enterprise East"),
    "marcus": ("Marcus Oyelaran", "marcus.oyelaran@vendor.example", "Mid-Market West"),
}
# crm id -> (name, domain, owner, segment)
ACCOUNTS = {
    "0015e00000NwCmpA": ("Northwind Components", "northwindcomponents.com", "dana", "Enterprise"),
    "0015e00000CtsPhA": ("Contoso Pharmaceuticals", "contoso-pharma.com", "dana", "Enterprise"),
    "0015e00000FbLogA": ("Fabrikam Logistics", "fabrikam-logistics.com", "marcus", "Mid-Market"),
    "0015e00000TsWndA": ("Tailspin Wind Energy", "tailspinwind.com", "marcus", "Commercial"),
}


@dataclass
class Crm:
    ae_ids: dict[str, str] = field(default_factory=dict)  # short name -> id
    account_ids: dict[str, str] = field(default_factory=dict)  # account name -> vendor account id


async def seed_crm(sessions: SessionFactory) -> Crm:
    crm = Crm()
    async with transaction(sessions) as session:
        for short, (name, email, territory) in AES.items():
            crm.ae_ids[short] = str(uuid.uuid4())
            session.add(
                AccountExecutive(id=crm.ae_ids[short], email=email, name=name, territory=territory, crm_owner=name)
            )
        await session.flush()
        for crm_id, (name, domain, owner, segment) in ACCOUNTS.items():
            crm.account_ids[name] = str(uuid.uuid4())
            session.add(
                VendorAccount(
                    id=crm.account_ids[name],
                    crm_id=crm_id,
                    source="salesforce",
                    name=name,
                    name_key=name_key(name),
                    domain=domain,
                    owner_ae_id=crm.ae_ids[owner],
                    segment=segment,
                )
            )
    return crm


async def overlap(sessions: SessionFactory, crm: Crm, partner_id: str, *account_names: str) -> None:
    """The partner uploaded these accounts and each matched on its domain."""
    async with transaction(sessions) as session:
        for line, name in enumerate(account_names, start=2):
            domain = next(d for n, d, _, _ in ACCOUNTS.values() if n == name)
            row = PartnerAccount(partner_id=partner_id, name=name, name_key=name_key(name), domain=domain, line=line)
            session.add(row)
            await session.flush()
            session.add(
                AccountMatch(
                    partner_account_id=row.id,
                    vendor_account_id=crm.account_ids[name],
                    partner_id=partner_id,
                    match_key="domain",
                    confidence=100,
                )
            )


# A partner's HubSpot company export: real column headers, the usual mess.
HUBSPOT_PARTNER_EXPORT = (
    "Record ID,Company name,Company Domain Name,Company owner,Industry,Lifecycle Stage\n"
    "9001,Northwind Components GmbH,www.NorthwindComponents.com,Ava Lee,Manufacturing,customer\n"
    "9002,Contoso Pharmaceuticals,https://contoso-pharma.com/about,Ava Lee,Pharmaceuticals,opportunity\n"
    "9003,Tailspin Toys,tailspintoys.com,Ava Lee,Retail,lead\n"
    '9004,"=HYPERLINK(""http://evil.example"",""click"")",evil.example,Ava Lee,,lead\n'
    "9005,Northwind Components GmbH,northwindcomponents.com,Ava Lee,Manufacturing,customer\n"
    "9006,Adatum Corporation,not a website!,Ava Lee,Finance,lead\n"
    '9007,"Fabrikam Logistics, Inc.",,Ava Lee,Logistics,customer\n'
)
EXPECTED_OVERLAP = ["Contoso Pharmaceuticals", "Fabrikam Logistics", "Northwind Components"]
