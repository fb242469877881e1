"""Steering a window from the dashboard: extend, add and remove partners, migrate, close. Each change has a
confirmation that says what will happen, then a POST that goes through the API's services (api.cohorts.control),
audited as the signed-in user; bad input or a refused change shows the form again and changes nothing."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select
from temporalio.testing import WorkflowEnvironment

from api.cohorts import service as cohort_service
from db.models import AuditLog
from db.repositories import playbooks as playbook_repo
from db.session import SessionFactory, transaction
from playbooks.loader import shipped_playbooks
from tests.dashboard_data import Programs, browser, csrf_of, dashboard_app, member_ids, sign_in, two_programs
from tests.factories import create_cohort, partner, settings_for


async def audits(sessions: SessionFactory) -> list[tuple[str, str, dict[str, Any]]]:
    async with transaction(sessions) as session:
        rows = await session.scalars(select(AuditLog).where(AuditLog.cohort_id.is_not(None)).order_by(AuditLog.id))
        return [(r.action, r.actor, r.detail) for r in rows if r.action != "cohort_created"]


async def launched(env: WorkflowEnvironment, sessions: SessionFactory) -> tuple[Programs, str]:
    """Cohort A's window started with no worker: the dashboard's signals queue on it, as a running window's do."""
    ids = await two_programs(sessions)
    async with transaction(sessions) as session:
        cohort = await cohort_service.get(session, ids.cohort_a)
    await cohort_service.launch(env.client, settings_for(sessions).task_queue, cohort)
    return ids, cohort.window_workflow_id


async def confirm(client: httpx.AsyncClient, path: str, **fields: str) -> httpx.Response:
    """The form's page, then its 'Review the change' button: the confirmation (or the form with a problem)."""
    form = await client.get(path, params={"partner": fields.get("partner", "")})
    assert form.status_code == 200, form.text
    return await client.post(f"{path}/confirm", data={"csrf": csrf_of(form.text), **fields})


def hidden(html: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', html))


async def do(client: httpx.AsyncClient, path: str, confirmation: httpx.Response) -> httpx.Response:
    assert confirmation.status_code == 200, confirmation.text
    return await client.post(path, data=hidden(confirmation.text))


async def pick_alpha_back(ann: httpx.AsyncClient, base: str, ids: Programs) -> None:
    """The removed partner, picked from the directory (by id): it joins again; another program's is refused."""
    search = await ann.get(f"{base}/add", params={"q": "alpha"})  # what Ann may pick: her programs only
    assert "Alpha Analytics" in search.text and "Beta Builders" not in search.text
    assert f'name="pick" value="{ids.partner_a}"' in search.text
    assert "Beta" not in (await ann.get(f"{base}/add", params={"q": "beta"})).text.split("<main", 1)[1]

    shown = await confirm(ann, f"{base}/remove", partner=ids.partner_a, reason="left the program")
    assert "Alpha Analytics leaves the window now" in shown.text and "left the program" in shown.text
    assert (await do(ann, f"{base}/remove", shown)).status_code == 303
    token = csrf_of(search.text)
    shown = await ann.post(f"{base}/add/confirm", data={"csrf": token, "pick": ids.partner_a, "partners": ""})
    assert "1 partners will join the window and get their invite now" in shown.text
    assert "Alpha Analytics" in shown.text
    assert (await do(ann, f"{base}/add", shown)).status_code == 303
    foreign = await ann.post(f"{base}/add/confirm", data={"csrf": token, "pick": ids.partner_b})
    assert foreign.status_code == 422 and "is not in your directory" in foreign.text


class TestSteering:
    async def test_each_change_is_confirmed_then_done_as_the_signed_in_user(
        self, dev_env: WorkflowEnvironment, sqlite_sessions: SessionFactory
    ) -> None:
        v1 = {p.id: p for p in shipped_playbooks()}["quickstart-14d"]
        ids, wid = await launched(dev_env, sqlite_sessions)
        async with transaction(sqlite_sessions) as session:
            await playbook_repo.publish(session, v1.model_copy(update={"version": 2, "title": "Quick start v2"}))
        base = f"/cohorts/{ids.cohort_a}/steer"
        new_end = (datetime.now(UTC) + timedelta(days=40)).date()
        async with dashboard_app(settings_for(sqlite_sessions), dev_env.client) as app, browser(app) as ann:
            await sign_in(ann, "ann@a.example")
            board = (await ann.get(f"/cohorts/{ids.cohort_a}")).text
            for action in ("extend", "add", "migrate", "close"):
                assert f'href="{base}/{action}"' in board, action
            assert f'href="{base}/remove?partner={ids.partner_a}"' in board

            shown = await confirm(ann, f"{base}/extend", ends_at=new_end.isoformat())
            assert f"The window will end {new_end.strftime('%-d %b %Y')}" in shown.text
            assert "running journeys of its 1 partners take the new end at once" in shown.text
            assert await audits(sqlite_sessions) == []  # the confirmation changes nothing
            done = await do(ann, f"{base}/extend", shown)
            assert done.status_code == 303 and done.headers["location"] == f"/cohorts/{ids.cohort_a}?done=extend"

            paste = "Gamma Co,alliances@gamma.example\n\nDelta Co, team@delta.example, isv\n"
            shown = await confirm(ann, f"{base}/add", partners=paste)
            assert "2 partners will join the window and get their invite now" in shown.text
            assert "Gamma Co, Delta Co" in shown.text
            assert (await do(ann, f"{base}/add", shown)).status_code == 303
            again = await do(ann, f"{base}/add", shown)  # a double click: the same page's form, its key
            assert again.status_code == 303 and again.headers["location"] == f"/cohorts/{ids.cohort_a}?done=add"

            await pick_alpha_back(ann, base, ids)

            shown = await confirm(ann, f"{base}/migrate", playbook_version="2")
            assert "move from playbook quickstart-14d version 1 to version 2" in shown.text
            assert (await do(ann, f"{base}/migrate", shown)).status_code == 303

            shown = await ann.get(f"{base}/close")  # nothing to fill in: the page is the confirmation
            assert "Every running journey of the 3 partners ends now" in shown.text
            assert (await do(ann, f"{base}/close", shown)).status_code == 303

        rows = await audits(sqlite_sessions)
        assert [(a, actor) for a, actor, _ in rows] == [
            (a, "user:ann@a.example")
            for a in ("extend", "add_partners", "remove_partner", "add_partners", "migrate", "close")
        ]
        assert rows[0][2]["to"].startswith(new_end.isoformat())
        assert len(rows[1][2]["partner_ids"]) == 2
        assert rows[2][2] == {"partner_id": ids.partner_a, "reason": "left the program"}
        assert rows[3][2] == {"partner_ids": [ids.partner_a]}  # picked back from the directory
        assert rows[4][2] == {"from": 1, "to": 2}
        assert len(await member_ids(sqlite_sessions, ids.cohort_a)) == 3
        await dev_env.client.get_workflow_handle(wid).terminate("test over")

    async def test_bad_input_and_refused_changes_show_the_form_and_change_nothing(
        self, dev_env: WorkflowEnvironment, sqlite_sessions: SessionFactory
    ) -> None:
        ids, wid = await launched(dev_env, sqlite_sessions)
        base = f"/cohorts/{ids.cohort_a}/steer"
        async with dashboard_app(settings_for(sqlite_sessions), dev_env.client) as app, browser(app) as ann:
            await sign_in(ann, "ann@a.example")
            bad = await confirm(ann, f"{base}/add", partners="Gamma Co,alliances@gamma.example\nDelta Co,not-an-email")
            assert bad.status_code == 422 and "line 2: email" in bad.text
            assert "Delta Co,not-an-email" in bad.text  # the paste is kept to fix
            short = await confirm(ann, f"{base}/add", partners="\n\nJust A Name")
            assert short.status_code == 422 and "line 3: give name,email" in short.text
            kind = await confirm(ann, f"{base}/add", partners="Gamma Co,a@gamma.example,alien")
            assert kind.status_code == 422 and "line 1: type &#39;alien&#39; is not one of" in kind.text
            no_reason = await confirm(ann, f"{base}/remove", partner=ids.partner_a, reason=" ")
            assert no_reason.status_code == 422 and "reason" in no_reason.text

            past = (datetime.now(UTC) - timedelta(days=10)).date().isoformat()
            shown = await confirm(ann, f"{base}/extend", ends_at=past)
            refused = await do(ann, f"{base}/extend", shown)
            assert refused.status_code == 422 and "the new end must be in the future" in refused.text
            same = await ann.post(f"{base}/migrate", data={**hidden(shown.text), "playbook_version": "1"})
            assert same.status_code == 409 and "already runs version 1" in same.text
            unknown = await ann.post(
                f"{base}/remove", data={**hidden(shown.text), "partner": ids.partner_b, "reason": "x"}
            )
            assert unknown.status_code == 404 and "Beta Builders" not in unknown.text  # not in this window
        assert await audits(sqlite_sessions) == []
        await dev_env.client.get_workflow_handle(wid).terminate("test over")

    async def test_signed_out_another_manager_and_forged_forms_are_refused(
        self, dev_env: WorkflowEnvironment, sqlite_sessions: SessionFactory
    ) -> None:
        ids, wid = await launched(dev_env, sqlite_sessions)
        base = f"/cohorts/{ids.cohort_a}/steer"
        form = {"ends_at": (datetime.now(UTC) + timedelta(days=40)).date().isoformat(), "key": "k"}
        async with (
            dashboard_app(settings_for(sqlite_sessions), dev_env.client) as app,
            browser(app) as anon,
            browser(app) as ann,
            browser(app) as bob,
        ):
            assert (await anon.get(f"{base}/extend")).headers["location"] == f"/signin?next={base}/extend"
            for path in (f"{base}/extend", f"{base}/extend/confirm"):
                out = await anon.post(path, data={**form, "csrf": "x"})
                assert out.status_code == 303 and out.headers["location"] == "/signin?next=/", path

            await sign_in(bob, "bob@b.example")
            token = csrf_of((await bob.get("/")).text)
            for action in ("extend", "add", "migrate", "close", "reschedule", "cancel"):
                assert (await bob.get(f"{base}/{action}")).status_code == 404, action
            assert (await bob.get(f"{base}/remove", params={"partner": ids.partner_a})).status_code == 404
            for path in (f"{base}/extend", f"{base}/extend/confirm", f"{base}/close", f"{base}/cancel"):
                assert (await bob.post(path, data={**form, "csrf": token})).status_code == 404, path

            await sign_in(ann, "ann@a.example")
            token = csrf_of((await ann.get(f"{base}/extend")).text)
            assert (await ann.post(f"{base}/extend", data=form)).status_code == 403
            assert (await ann.post(f"{base}/extend", data={**form, "csrf": token + "x"})).status_code == 403
            assert (await ann.post(f"{base}/extend/confirm", data=form)).status_code == 403
        assert await audits(sqlite_sessions) == []
        await dev_env.client.get_workflow_handle(wid).terminate("test over")


class TestBeforeTheStart:
    async def test_a_scheduled_window_is_moved_or_cancelled_and_a_started_one_is_refused(
        self, dev_env: WorkflowEnvironment, sqlite_sessions: SessionFactory
    ) -> None:
        ids, running = await launched(dev_env, sqlite_sessions)
        starts = datetime.now(UTC) + timedelta(days=20)
        later = await create_cohort(sqlite_sessions, [partner("Later Labs")], starts, program="Program A", name="Later")
        await cohort_service.launch(dev_env.client, settings_for(sqlite_sessions).task_queue, later)
        base, moved = f"/cohorts/{later.id}/steer", (starts + timedelta(days=30)).date()
        async with dashboard_app(settings_for(sqlite_sessions), dev_env.client) as app, browser(app) as ann:
            await sign_in(ann, "ann@a.example")
            board = (await ann.get(f"/cohorts/{later.id}")).text
            assert f'href="{base}/reschedule"' in board and f'href="{base}/cancel"' in board
            started = (await ann.get(f"/cohorts/{ids.cohort_a}")).text
            assert "/steer/reschedule" not in started and "/steer/cancel" not in started

            past = (datetime.now(UTC) - timedelta(days=3)).date().isoformat()
            early = await confirm(ann, f"{base}/reschedule", starts_at=past)
            assert early.status_code == 422 and "starts_at: is more than 1:00:00 in the past" in early.text
            shown = await confirm(ann, f"{base}/reschedule", starts_at=moved.isoformat())
            assert f"The window will start {moved.strftime('%-d %b %Y')}" in shown.text
            assert f"instead of {starts.strftime('%-d %b %Y')}" in shown.text
            assert "Its 1 partners hear nothing before the new start" in shown.text
            assert await audits(sqlite_sessions) == []  # the confirmation changes nothing
            done = await do(ann, f"{base}/reschedule", shown)
            assert done.headers["location"] == f"/cohorts/{later.id}?done=reschedule"

            shown = await ann.get(f"{base}/cancel")  # nothing to fill in: the page is the confirmation
            assert "none of its 1 partners is emailed" in shown.text and "Yes, cancel the window" in shown.text
            assert (await do(ann, f"{base}/cancel", shown)).status_code == 303

            # The running window: the service refuses the move, the form shows its words, nothing is kept.
            hidden_fields = {**hidden(shown.text), "key": "k-started", "starts_at": moved.isoformat()}
            refused = await ann.post(f"/cohorts/{ids.cohort_a}/steer/reschedule", data=hidden_fields)
            assert refused.status_code == 409 and "has already started" in refused.text
        rows = await audits(sqlite_sessions)
        assert [(a, actor) for a, actor, _ in rows] == [
            ("reschedule", "user:ann@a.example"),
            ("cancel", "user:ann@a.example"),
        ]
        assert rows[0][2]["to"].startswith(moved.isoformat())
        async with transaction(sqlite_sessions) as session:
            assert (await cohort_service.get(session, later.id)).starts_at.date() == moved
        for wid in (running, later.window_workflow_id):
            await dev_env.client.get_workflow_handle(wid).terminate("test over")
