"""Test data made through the same service code the API uses."""

from __future__ import annotations

import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

from api.cohorts import service
from api.cohorts.schemas import CohortCreate, CohortOut
from db.session import SessionFactory, transaction
from settings import Settings


def settings_for(sessions: SessionFactory, **overrides: Any) -> Settings:
    engine = sessions.kw["bind"]
    return Settings(
        environment="test",
        database_url=engine.url.render_as_string(hide_password=False),
        task_queue=f"tq-{uuid.uuid4()}",
        data_dir=Path("/nonexistent"),
        **{"dev_inbox": True, **overrides},
    )


def partner(name: str = "Northwind Analytics", type_: str = "ISV", **extra: Any) -> dict[str, Any]:
    slug = name.lower().replace(" ", "-")
    return {
        "name": name,
        "type": type_,
        "timezone": "UTC",
        "contacts": [{"email": f"alliances@{slug}.example", "name": f"{name} Alliances", "role": "Alliance lead"}],
        **extra,
    }


def cohort_body(partners: list[dict[str, Any]], playbook_id: str = "quickstart-14d", **extra: Any) -> dict[str, Any]:
    return {"name": "Test cohort", "program": "Test program", "playbook_id": playbook_id, "partners": partners, **extra}


async def create_cohort(
    sessions: SessionFactory, partners: list[dict[str, Any]], starts_at: datetime | None = None, **extra: Any
) -> CohortOut:
    body = cohort_body(partners, **extra)
    if starts_at is not None:
        body["starts_at"] = starts_at.isoformat()
    async with transaction(sessions) as session:
        return await service.create(session, CohortCreate.model_validate(body))
