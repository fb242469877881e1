"""The context a journey records in its history: the pinned snapshot without the prose only pages and emails
show, checked against its sha256 at every load, everything the interpreter reads left as it is."""

from __future__ import annotations

from typing import Any

import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.journey_inputs import LoadContext
from activities.journeys import JourneyActivities
from db.repositories import playbooks as playbook_repo
from db.session import SessionFactory, transaction
from mail.render import EmailRenderer
from playbooks.model import Playbook
from tests.factories import create_cohort, partner, settings_for
from tests.mail.helpers import CountingSender
from tests.workflows.helpers import partner_ids
from wiring import make_signer

pytestmark = pytest.mark.timeout(60)


def _without_prose(playbook: Playbook) -> dict[str, Any]:
    data = playbook.model_dump(mode="json")
    for stage in data["stages"]:
        for play in stage["plays"]:
            play.pop("content")
            for step in play["steps"]:
                step.pop("instructions")
    return data


async def test_context_is_the_snapshot_without_its_prose(sqlite_sessions: SessionFactory) -> None:
    cohort = await create_cohort(sqlite_sessions, [partner("Northwind")], playbook_id="cloud-cosell-90d")
    (pid,) = await partner_ids(sqlite_sessions, cohort.id)
    async with transaction(sqlite_sessions) as session:
        row = await playbook_repo.get(session, "cloud-cosell-90d", cohort.playbook.version)
        assert row is not None
        full, ref = playbook_repo.to_model(row), playbook_repo.ref_of(row)
    settings = settings_for(sqlite_sessions)
    acts = JourneyActivities(sqlite_sessions, CountingSender(), make_signer(settings), EmailRenderer(), settings)
    req = LoadContext(cohort_id=cohort.id, partner_id=pid, playbook=ref)

    ctx = await ActivityEnvironment().run(acts.load_journey_context, req)
    again = await ActivityEnvironment().run(acts.load_journey_context, req)

    assert _without_prose(ctx.playbook) == _without_prose(full)
    prose = [p.content for s in ctx.playbook.stages for p in s.plays] + [
        s.instructions for _, _, s in ctx.playbook.iter_steps()
    ]
    assert not any(prose), "plays' content and steps' instructions are left out"
    assert any(p.content for s in full.stages for p in s.plays), "the shipped playbook has prose to leave out"
    assert len(ctx.playbook.model_dump_json()) < 0.75 * len(full.model_dump_json())
    assert again.playbook is ctx.playbook, "one trimmed snapshot per worker, shared by its journeys"
    assert ctx.partner.id == pid

    altered = req.model_copy(update={"playbook": ref.model_copy(update={"sha256": "0" * 64})})
    with pytest.raises(ApplicationError) as raised:
        await ActivityEnvironment().run(acts.load_journey_context, altered)
    assert raised.value.type == "PlaybookSnapshotMismatch"
