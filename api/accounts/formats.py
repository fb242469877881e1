"""Which CRM export headers mean what: Salesforce and HubSpot exports, or an explicit mapping.

The aliases are the column titles the CRMs print in their standard exports (Salesforce report or Data
Loader Account/User exports; HubSpot company and user exports). `auto` accepts either.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import TypeVar

from domain.csv_import import Column

F = TypeVar("F", bound=StrEnum)


class ExportFormat(StrEnum):
    auto = "auto"
    salesforce = "salesforce"
    hubspot = "hubspot"


_ACCOUNT_ALIASES: dict[str, dict[ExportFormat, tuple[str, ...]]] = {
    "crm_id": {
        ExportFormat.salesforce: ("Account ID", "Account ID (18)", "Id"),
        ExportFormat.hubspot: ("Record ID", "Company ID", "Record ID - Company"),
    },
    "name": {
        ExportFormat.salesforce: ("Account Name",),
        ExportFormat.hubspot: ("Company name", "Name"),
    },
    "website": {
        ExportFormat.salesforce: ("Website",),
        ExportFormat.hubspot: ("Company Domain Name", "Website URL", "Domain"),
    },
    "owner": {
        ExportFormat.salesforce: ("Account Owner", "Account Owner: Full Name", "Owner Name"),
        ExportFormat.hubspot: ("Company owner", "HubSpot Owner", "Owner"),
    },
    "industry": {ExportFormat.salesforce: ("Industry",), ExportFormat.hubspot: ("Industry",)},
    "segment": {
        ExportFormat.salesforce: ("Segment", "Account Segment", "Customer Segment"),
        ExportFormat.hubspot: ("Segment", "Account Segment", "Customer Segment"),
    },
    "employees": {
        ExportFormat.salesforce: ("Employees", "Number of Employees"),
        ExportFormat.hubspot: ("Number of Employees", "Employees"),
    },
    "type": {ExportFormat.salesforce: ("Type", "Account Type"), ExportFormat.hubspot: ("Type", "Company type")},
    "open_opportunities": {
        ExportFormat.salesforce: ("Open Opportunities", "Has Open Opportunity"),
        ExportFormat.hubspot: ("Number of Open Deals", "Open Deals"),
    },
}
_ACCOUNT_REQUIRED = {"crm_id", "name"}

_AE_ALIASES: dict[str, dict[ExportFormat, tuple[str, ...]]] = {
    "email": {ExportFormat.salesforce: ("Email",), ExportFormat.hubspot: ("Email", "Email Address")},
    "full_name": {ExportFormat.salesforce: ("Full Name", "Name"), ExportFormat.hubspot: ("Name", "Full Name")},
    "first_name": {ExportFormat.salesforce: ("First Name",), ExportFormat.hubspot: ("First Name",)},
    "last_name": {ExportFormat.salesforce: ("Last Name",), ExportFormat.hubspot: ("Last Name",)},
    "territory": {
        ExportFormat.salesforce: ("Territory", "Sales Territory", "Role"),
        ExportFormat.hubspot: ("Teams", "Team", "Primary Team"),
    },
}
_AE_REQUIRED = {"email"}


def columns_for(aliases: Mapping[str, Mapping[F, tuple[str, ...]]], required: set[str], fmt: F) -> tuple[Column, ...]:
    """The columns of one export format, or of every format for `auto` (aliases in format order)."""
    columns = []
    for key, by_format in aliases.items():
        formats = list(by_format) if fmt.value == "auto" else [fmt]
        names = tuple(dict.fromkeys(a for f in formats for a in by_format.get(f, ())))
        columns.append(Column(key, names, required=key in required))
    return tuple(columns)


def account_columns(fmt: ExportFormat) -> tuple[Column, ...]:
    return columns_for(_ACCOUNT_ALIASES, _ACCOUNT_REQUIRED, fmt)


def ae_columns(fmt: ExportFormat) -> tuple[Column, ...]:
    return columns_for(_AE_ALIASES, _AE_REQUIRED, fmt)


def detect_source(crm_id_header: str | None, mapped: bool) -> str:
    """salesforce | hubspot | mapped, from the header the CRM ids came from."""
    if mapped or not crm_id_header:
        return "mapped"
    folded = crm_id_header.casefold()
    for fmt in (ExportFormat.salesforce, ExportFormat.hubspot):
        if folded in {a.casefold() for a in _ACCOUNT_ALIASES["crm_id"][fmt]}:
            return fmt.value
    return "mapped"


# Segment from employee count when the export has no segment column (common sales-ops bands).
ENTERPRISE_EMPLOYEES = 1000
MID_MARKET_EMPLOYEES = 100


def segment_for(segment: str, employees: int | None, account_type: str) -> str:
    """An explicit segment wins; else the employee band; else the CRM's account type; else ""."""
    if segment:
        return segment
    if employees is not None:
        if employees >= ENTERPRISE_EMPLOYEES:
            return "Enterprise"
        return "Mid-Market" if employees >= MID_MARKET_EMPLOYEES else "SMB"
    return account_type
