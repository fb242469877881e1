"""A database that cannot be reached is a 503 with Retry-After (JSON for the API, the busy page for link
pages), never a 500; other database errors are not disguised as an outage."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.exc import IntegrityError, OperationalError
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from api.database_down import unreachable
from domain.links import StepClaims
from settings import Settings
from tests.api.helpers import api_client
from tests.api.test_health import closed_port
from wiring import make_signer


async def test_database_down_answers_503_with_retry_after() -> None:
    url = f"postgresql+asyncpg://postgres@127.0.0.1:{closed_port()}/cosell"
    settings = Settings(environment="test", database_url=url, data_dir=Path("/nonexistent"))
    temporal = await Client.connect(f"127.0.0.1:{closed_port()}", data_converter=pydantic_data_converter, lazy=True)
    link = make_signer(settings).sign_step(StepClaims(journey_id="journey/c/p", step_key="icp"))
    async with api_client(settings, temporal) as api:
        progress = await api.get("/api/v1/cohorts/some-cohort/progress")
        page = await api.get(f"/p/{link}")
    assert progress.status_code == 503, progress.text
    assert progress.headers["retry-after"] == "5" and "database is unavailable" in progress.json()["error"]
    assert page.status_code == 503, page.text
    assert page.headers["retry-after"] == "5" and "try again" in page.text
    assert page.headers["cache-control"] == "no-store"  # still a link page: private headers kept


def test_only_connection_trouble_counts_as_unreachable() -> None:
    assert unreachable(ConnectionRefusedError(111, "refused"))
    assert unreachable(OperationalError("SELECT 1", {}, Exception("the database system is starting up")))
    assert not unreachable(IntegrityError("INSERT", {}, Exception("duplicate key")))
    assert not unreachable(ValueError("not a database error"))
