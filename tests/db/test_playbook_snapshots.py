from __future__ import annotations

import json
from pathlib import Path

import pytest

from db.repositories import playbooks as repo
from db.session import SessionFactory, transaction
from playbooks.loader import reference, shipped_playbooks
from playbooks.model import Playbook

QUICKSTART = {p.id: p for p in shipped_playbooks()}["quickstart-14d"]


class TestPublish:
    async def test_republishing_the_same_content_is_a_no_op(self, sessions: SessionFactory) -> None:
        async with transaction(sessions) as session:
            ref, created = await repo.publish(session, QUICKSTART)
        assert not created and ref == reference(QUICKSTART)

    async def test_changed_content_under_a_published_version_is_refused(self, sessions: SessionFactory) -> None:
        edited = QUICKSTART.model_copy(update={"title": "Sneaky edit"})
        with pytest.raises(repo.PlaybookChanged, match="bump `version`"):
            async with transaction(sessions) as session:
                await repo.publish(session, edited)
        async with transaction(sessions) as session:
            row = await repo.get(session, "quickstart-14d", 1)
            assert row is not None and row.title == QUICKSTART.title

    async def test_a_new_version_is_added_and_becomes_latest(self, sessions: SessionFactory) -> None:
        v2 = QUICKSTART.model_copy(update={"version": 2, "title": "Quick start, revised"})
        async with transaction(sessions) as session:
            _, created = await repo.publish(session, v2)
        async with transaction(sessions) as session:
            latest = await repo.get(session, "quickstart-14d")
            pinned = await repo.get(session, "quickstart-14d", 1)
        assert created and latest is not None and latest.version == 2
        assert pinned is not None and pinned.title == QUICKSTART.title


class TestModel:
    async def test_a_published_version_is_parsed_once_and_keyed_by_its_content(self, sessions: SessionFactory) -> None:
        async with transaction(sessions) as session:
            first = await repo.model(session, "quickstart-14d", 1)
            again = await repo.model(session, "quickstart-14d", 1)
            missing = await repo.model(session, "quickstart-14d", 99)
        assert first is not None and first is again and first == QUICKSTART and missing is None
        # The same (id, version) with other content (another database in this process) is another model.
        other_sha = "0" * 64
        async with transaction(sessions) as session:
            row = await repo.get(session, "quickstart-14d", 1)
            assert row is not None
            row.sha256, row.content = other_sha, {**row.content, "title": "Elsewhere"}
        async with transaction(sessions) as session:
            other = await repo.model(session, "quickstart-14d", 1)
        assert other is not None and other.title == "Elsewhere" and other is not first


OVERLAP = {p.id: p for p in shipped_playbooks()}["overlap-first-21d"]
BEFORE_LIBRARY = json.loads(
    (Path(__file__).parents[1] / "playbooks/data/published/overlap-first-21d-v3.json").read_text()
)


class TestLibraryPins:
    async def test_publishing_pins_the_library_play_versions_in_the_snapshot(self, sessions: SessionFactory) -> None:
        async with transaction(sessions) as session:  # published by the template database, as `cosell up` does
            row = await repo.get(session, "overlap-first-21d", 3)
        assert row is not None and row.sha256 == BEFORE_LIBRARY["sha256"]
        pins = [play["library"] for stage in row.content["stages"] for play in stage["plays"]]
        assert pins == [
            {"play": "joint-account-mapping", "version": 1, "parameters": {}},
            {"play": "ae-introductions", "version": 2, "parameters": {"overlap_wait_days": 5}},
            {"play": "first-co-sell-deal", "version": 2, "parameters": {"acceptance_wait_days": 7}},
        ]
        assert repo.to_model(row) == OVERLAP  # the resolved plays themselves, read back without the library

    async def test_a_version_published_before_the_library_is_left_as_it_was(self, sessions: SessionFactory) -> None:
        async with transaction(sessions) as session:
            await session.delete(await repo.get(session, "overlap-first-21d", 3))
        async with transaction(sessions) as session:
            await repo.publish(session, Playbook.model_validate(BEFORE_LIBRARY["canonical"]))
        async with transaction(sessions) as session:
            ref, created = await repo.publish(session, OVERLAP)  # what `cosell up` does with today's files
            row = await repo.get(session, "overlap-first-21d", 3)
        assert not created and ref.sha256 == BEFORE_LIBRARY["sha256"]
        assert row is not None and all(
            play.get("library") is None for s in row.content["stages"] for play in s["plays"]
        )
