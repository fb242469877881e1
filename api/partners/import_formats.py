"""Which partner export headers mean what, and how their cells read as partner fields.

Salesforce: an Account export of partner accounts (report or Data Loader; the partner type is usually a
custom "Partner Type" field, else the account's Type). HubSpot: a companies export. PartnerStack: a
partners export (partner key, company, the partner's email and name, group). `auto` accepts any of them.
"""

from __future__ import annotations

import re
from enum import StrEnum

from playbooks.model import PartnerType


class PartnerFormat(StrEnum):
    auto = "auto"
    salesforce = "salesforce"
    hubspot = "hubspot"
    partnerstack = "partnerstack"


SF, HS, PS = PartnerFormat.salesforce, PartnerFormat.hubspot, PartnerFormat.partnerstack

ALIASES: dict[str, dict[PartnerFormat, tuple[str, ...]]] = {
    "external_id": {
        SF: ("Account ID", "Account ID (18)", "Id"),
        HS: ("Record ID", "Company ID", "Record ID - Company"),
        PS: ("Partner Key", "partner_key", "Key"),
    },
    "name": {SF: ("Account Name",), HS: ("Company name", "Name"), PS: ("Company", "Company Name", "company")},
    "type": {
        SF: ("Partner Type", "Partner Type__c", "Type"),
        HS: ("Partner Type", "Partner type", "Type", "Company type"),
        PS: ("Partner Type", "Group", "Group Name", "group"),
    },
    "verticals": {SF: ("Verticals", "Industry"), HS: ("Verticals", "Industry"), PS: ("Verticals", "Industry", "Tags")},
    "region": {
        SF: ("Region", "Partner Region", "Billing Country"),
        HS: ("Region", "Country/Region"),
        PS: ("Region",),
    },
    "country": {
        SF: ("Country Code", "Billing Country Code"),
        HS: ("Country Code",),
        PS: ("Country Code", "Country", "country"),
    },
    "timezone": {SF: ("Time Zone", "Timezone"), HS: ("Time Zone", "Timezone"), PS: ("Time Zone", "Timezone")},
    "tier": {SF: ("Partner Tier", "Tier"), HS: ("Partner Tier", "Tier"), PS: ("Tier", "Partner Tier")},
    "contact_email": {
        SF: ("Primary Contact Email", "Contact Email"),
        HS: ("Primary Contact Email", "Contact Email", "Email"),
        PS: ("Email", "email", "Partner Email"),
    },
    "contact_name": {
        SF: ("Primary Contact", "Primary Contact Name", "Contact Name"),
        HS: ("Primary Contact", "Primary Contact Name", "Contact Name"),
        PS: ("Contact Name",),
    },
    "first_name": {SF: ("First Name",), HS: ("First Name",), PS: ("First Name", "first_name")},
    "last_name": {SF: ("Last Name",), HS: ("Last Name",), PS: ("Last Name", "last_name")},
    "owner": {
        SF: ("Partner Manager", "Partner Manager Email", "Partner Owner"),
        HS: ("Partner Manager", "Partner Manager Email", "Partner Owner"),
        PS: ("Partner Manager", "Partner Manager Email", "Owner Email"),
    },
}
REQUIRED = {"external_id", "name"}

# How CRMs and PartnerStack groups name the partner types (case-insensitive).
_TYPE_WORDS: dict[str, PartnerType] = {
    **{
        w: PartnerType.SI for w in ("si", "system integrator", "systems integrator", "consulting partner", "consulting")
    },
    **{w: PartnerType.ISV for w in ("isv", "independent software vendor", "technology partner", "technology")},
    **{
        w: PartnerType.MSP for w in ("msp", "managed service provider", "managed services provider", "managed services")
    },
    **{w: PartnerType.referral for w in ("referral", "referral partner", "affiliate", "affiliates")},
    **{w: PartnerType.influence for w in ("influence", "influencer", "advisory", "advisor")},
}
_TIER = re.compile(r"(?:tier\s*)?([123])\b.*", re.IGNORECASE)


def partner_type(value: str) -> PartnerType | None:
    return _TYPE_WORDS.get(" ".join(value.split()).casefold())


def type_words() -> str:
    return ", ".join(f"{t.value}" for t in PartnerType)


def tier(value: str) -> int | None:
    """ "1", "Tier 2", "Tier 1 - Invest" -> the number; anything else None."""
    found = _TIER.fullmatch(value.strip())
    return int(found.group(1)) if found else None


def verticals(value: str) -> list[str]:
    """HubSpot multi-selects join with ";", hand-made lists with ","."""
    return list(dict.fromkeys(v.strip() for v in re.split(r"[;,]", value) if v.strip()))
