"""ActivationWindowWorkflow's id, input and signals (a PM change travels window -> shards -> journeys)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel

from playbooks.model import PlaybookRef


def window_id(cohort_id: str) -> str:
    return f"window/{cohort_id}"


class WindowInput(BaseModel):
    version: int = 1
    cohort_id: str
    playbook: PlaybookRef
    starts_at: datetime
    ends_at: datetime


class WindowChange(BaseModel):
    """A PM change that travels window -> shards -> journeys. Applying it twice is harmless."""

    key: str
    # A new start for a window still waiting for it (a reschedule); ignored once the window has started.
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    paused: bool | None = None
    exit_reason: str | None = None
    status: Literal["closed", "cancelled"] | None = None
    playbook: PlaybookRef | None = None


class PartnersChange(BaseModel):
    key: str
    partner_ids: list[str]
