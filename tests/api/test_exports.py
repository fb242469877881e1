"""The partners (signals, tiers), deals (attribution), AE feedback and partner timeline exports: each row is
what the JSON API answers for the same data, and a large export streams in memory that does not grow."""

from __future__ import annotations

import tracemalloc
import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import insert

from api.app import create_app
from db.cosell_models import AeFeedback, Deal, DealAttribution
from db.models import JourneyEvent
from db.session import SessionFactory, transaction
from tests.api.helpers import api_client
from tests.api.test_export_progress import _stream, as_text, parsed
from tests.api.test_partner_signals import DAY, T0, recorded
from tests.api.test_progress_pages import NO_TEMPORAL
from tests.deal_data import program_id
from tests.factories import settings_for

SIGNALS = ("gtm_readiness", "proven_capability", "early_traction", "field_advocacy", "behavior")


def texts(row: dict[str, Any]) -> dict[str, str]:
    return {k: as_text(v) for k, v in row.items()}


async def _more(sessions: SessionFactory, cohort_id: str, pid: str) -> None:
    """Everyone's attribution of deal-1, the AE's feedback on it and a timeline with a formula in its data."""
    async with transaction(sessions) as session:
        deal = await session.get(Deal, "deal-1")
        assert deal is not None
        ae = deal.ae_id
        deal.stage, deal.closed_at = "closed_won", T0 + 12 * DAY
        session.add_all(
            [
                DealAttribution(deal_id="deal-1", attribution="sourced", said_by="partner", actor="p", at=T0 + DAY),
                DealAttribution(deal_id="deal-1", attribution="influenced", said_by="ae", actor="a", at=T0 + 13 * DAY),
            ]
        )
        session.add(
            AeFeedback(
                deal_id="deal-1", ae_id=ae, partner_id=pid, status="submitted", requested_at=T0 + 12 * DAY,
                expires_at=T0 + 26 * DAY, contribution="influenced", role_clarity=4, responsiveness=5,
                invite_again=True, comment="=cmd| they ran the workshop", submitted_at=T0 + 13 * DAY,
            )
        )  # fmt: skip
        for n, kind in enumerate(("step_invited", "step_completed", "intro_requested")):
            session.add(
                JourneyEvent(
                    id=f"ev-{n}", journey_id=f"journey/{cohort_id}/{pid}", kind=kind, stage="awareness",
                    step_key="icp", occurred_at=T0 + n * DAY, data={"note": "@SUM(1)", "n": n},
                )
            )  # fmt: skip


async def test_each_export_says_what_the_json_api_says(sessions: SessionFactory) -> None:
    cohort_id, pid = await recorded(sessions)
    await _more(sessions, cohort_id, pid)
    as_of = (T0 + 14 * DAY).isoformat()
    async with api_client(settings_for(sessions), NO_TEMPORAL) as api:
        intel = (await api.get(f"/api/v1/cohorts/{cohort_id}/intelligence", params={"as_of": as_of})).json()
        partners = await api.get(f"/api/v1/cohorts/{cohort_id}/export/partners.csv", params={"as_of": as_of})
        deals = (await api.get("/api/v1/deals")).json()["deals"]
        deals_csv = await api.get("/api/v1/export/deals.csv", params={"program": "Test program"})
        view = (await api.get(f"/api/v1/partners/{pid}/360")).json()
        feedback_csv = await api.get("/api/v1/export/feedback.csv", params={"partner": pid})
        timeline_csv = await api.get(f"/api/v1/partners/{pid}/export/timeline.csv")
        missing = [
            (await api.get(path)).status_code
            for path in (
                "/api/v1/cohorts/nope/export/partners.csv",
                "/api/v1/partners/nope/export/timeline.csv",
                "/api/v1/export/deals.csv?program=nope",
            )
        ]
    assert missing == [404, 404, 404]
    assert partners.status_code == 200 and partners.headers["content-type"].startswith("text/csv")
    assert parsed(partners.content) == [
        texts(
            {k: p[k] for k in ("partner_id", "name", "tier", "move", "classification")}
            | {s: p["values"].get(s) for s in SIGNALS}
            | {"reasons": "; ".join(p["reasons"]), "next_action": p["next_action"]["action"]}
            | {"next_action_because": p["next_action"]["because"]}
        )
        for p in intel["partners"]
    ]
    [deal] = deals
    [row] = parsed(deals_csv.content)
    assert row["attribution"] == deal["attribution"]["attribution"] == "influenced"  # the AE's word wins
    assert row["attributions"] == "partner: sourced; ae: influenced"
    assert row["attribution_said_by"] == "ae"
    plain = {k: v for k, v in deal.items() if not isinstance(v, (list, dict)) and k in row}
    assert len(plain) >= 15 and {k: row[k] for k in plain} == texts(plain)

    [answer] = view["feedback"]
    [fb] = parsed(feedback_csv.content)
    assert {k: fb[k] for k in answer} == texts(answer)
    assert fb["comment"] == "'=cmd| they ran the workshop"  # neutralized, still readable
    assert (fb["partner_id"], fb["ae_email"]) == (pid, "dana.reyes@vendor.example")

    events = [(j, e) for j in view["journeys"] for e in j["timeline"]]
    lines = parsed(timeline_csv.content)
    assert len(lines) == len(events) >= 3
    for line, (j, e) in zip(lines, events, strict=True):
        assert (line["journey_id"], line["kind"], line["occurred_at"]) == (j["journey_id"], e["kind"], e["occurred_at"])
    assert '"note": "@SUM(1)"' in lines[0]["data"]


async def _add_deals(sessions: SessionFactory, cohort_id: str, pid: str, first: int, count: int) -> None:
    program = await program_id(sessions)
    async with transaction(sessions) as session:
        for start in range(first, first + count, 2000):
            ids = [(n, str(uuid.uuid4())) for n in range(start, min(first + count, start + 2000))]
            await session.execute(
                insert(Deal),
                [
                    dict(id=d, program_id=program, partner_id=pid, cohort_id=cohort_id, account_name=f"Account {n}")
                    | dict(account_key=f"account-{n}", source="partner", stage="registered", amount=1000 + n)
                    | dict(currency="USD", partner_role="", registered_at=T0 + timedelta(seconds=n), updated_at=T0)
                    for n, d in ids
                ],
            )
            await session.execute(
                insert(DealAttribution),
                [dict(deal_id=d, attribution="sourced", said_by="partner", actor="p", at=T0) for _, d in ids],
            )


async def _peak(app: Any) -> tuple[int, int]:
    tracemalloc.start()
    try:
        status, size = await _stream(app, "/api/v1/export/deals.csv")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert status == 200
    return peak, size


@pytest.mark.timeout(240)
async def test_a_ten_times_larger_deals_export_needs_about_the_same_memory(sqlite_sessions: SessionFactory) -> None:
    cohort_id, pid = await recorded(sqlite_sessions)
    await _add_deals(sqlite_sessions, cohort_id, pid, 0, 1_500)
    app = create_app(settings_for(sqlite_sessions), NO_TEMPORAL)
    async with app.router.lifespan_context(app):
        await _stream(app, "/api/v1/export/deals.csv")  # warm: imports and caches are not the export's memory
        small_peak, small_size = await _peak(app)
        await _add_deals(sqlite_sessions, cohort_id, pid, 1_500, 13_500)
        large_peak, large_size = await _peak(app)
    assert large_size > 9 * small_size  # every row went out
    assert large_peak < 1.5 * small_peak, (small_peak, large_peak)  # memory holds a page, not the export
    assert large_peak < large_size, (large_peak, large_size)  # holding the body would need more than the body
