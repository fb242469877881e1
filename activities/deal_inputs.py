"""Inputs of the DealActivities (activities/deals.py): what workflows hand them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel


class RegisterDeal(BaseModel):
    """A completed deal_registration step: its cleaned answers become one deal, once per (journey, step)."""

    journey_id: str
    cohort_id: str
    partner_id: str
    step_key: str
    answers: dict[str, Any]
    registered_at: datetime
