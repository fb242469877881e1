"""What the deal endpoints accept and answer."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema, model_validator

from api.fields import NOT_BLANK, Email, Plain, Text
from domain.deals import Attribution, Role, Stage

Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code, e.g. USD")]
AMOUNT_TEXT = r"^[0-9]{1,15}(\.[0-9]{1,6})?$"


def _amount_text(value: Any) -> Any:
    """A decimal string is read exactly as the schema states it (no signs, exponents or spaces)."""
    if isinstance(value, str) and not re.fullmatch(AMOUNT_TEXT, value):
        raise ValueError('must be a number, or a decimal string like "215000.40"')
    return value


Amount = Annotated[
    Decimal,
    BeforeValidator(_amount_text),
    Field(ge=0, le=Decimal("1e15")),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", "minimum": 0, "maximum": 1e15},
                {"type": "string", "pattern": AMOUNT_TEXT},
            ],
            "description": "Whole currency units (cents are rounded); a decimal string keeps every digit",
        }
    ),
]


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class DealIn(Input):
    """A co-sell deal the PM registers for a partner (e.g. from an email or a partner call)."""

    # _one_partner, stated in the schema: one of the two ids, with a non-blank value.
    model_config = ConfigDict(
        json_schema_extra={
            "anyOf": [
                {"required": [name], "properties": {name: {"type": "string", "pattern": NOT_BLANK}}}
                for name in ("partner_id", "partner_external_id")
            ]
        }
    )

    program: str = Text(200, description="The program's id or name")
    partner_id: str | None = Plain(None, max_length=36)
    partner_external_id: str | None = Plain(None, max_length=120)
    cohort_id: str | None = Plain(None, max_length=36, description="Default: the partner's open window")
    account_name: str = Text(300)
    account_domain: str | None = Plain(None, max_length=255)
    ae_email: Email | None = None
    amount: Amount | None = None
    currency: Currency = "USD"
    expected_close: date | None = None
    partner_role: Role
    description: str = Plain("", max_length=2000)

    @model_validator(mode="after")
    def _one_partner(self) -> DealIn:
        if not (self.partner_id or self.partner_external_id):
            raise ValueError("name the partner: partner_id or partner_external_id")
        return self


class DealPatch(Input):
    """The PM's changes; every field is optional and each change is audited."""

    # Rejecting a deal needs a reason (service.change), stated in the schema.
    model_config = ConfigDict(
        json_schema_extra={
            "if": {"required": ["stage"], "properties": {"stage": {"const": "rejected"}}},
            "then": {"required": ["reason"], "properties": {"reason": {"type": "string", "pattern": NOT_BLANK}}},
        }
    )

    stage: Stage | None = None
    amount: Amount | None = None
    currency: Currency | None = None
    expected_close: date | None = None
    ae_email: Email | None = None
    attribution: Attribution | None = None
    reason: str = Plain("", max_length=1000)


class ResolveConflict(Input):
    reason: str = Text(1000, min_length=3)
    reject_others: bool = Field(
        default=True, description="Reject the other partners' deals on this account (false: keep all, e.g. joint deals)"
    )


class AttributionOut(BaseModel):
    attribution: str
    said_by: str
    actor: str
    at: datetime


class DealOut(BaseModel):
    id: str
    program_id: str
    partner_id: str
    partner_name: str
    cohort_id: str | None
    journey_id: str | None
    account_name: str
    account_key: str
    vendor_account_id: str | None
    ae_id: str | None
    ae_email: str | None
    crm_id: str | None
    source: str
    stage: str
    amount: int | None
    currency: str
    partner_role: str
    expected_close: date | None
    conflict: str | None
    conflicts_with: list[str] = Field(default_factory=list, description="Other partners' active deals on this account")
    registered_at: datetime
    closed_at: datetime | None
    updated_at: datetime
    attribution: AttributionOut | None = Field(description="The one that counts: PM > AE > CRM > partner")
    attributions: list[AttributionOut] = Field(description="Everyone who said, oldest first")
    feedback_requested: bool | None = Field(
        default=None, description="On a close: whether this call started the AE feedback request"
    )


class DealList(BaseModel):
    count: int
    deals: list[DealOut]


class ImportResult(BaseModel):
    format: str
    rows: int
    created: int
    adopted: int = Field(description="Partner registrations matched to their CRM opportunity")
    updated: int
    unchanged: int
    skipped: list[dict[str, Any]] = Field(description="Rows that are not co-sell deals (no partner), by line")
    warnings: list[dict[str, Any]]
    feedback_requested: int
    deal_ids: list[str]
