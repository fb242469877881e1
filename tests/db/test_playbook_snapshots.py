from __future__ import annotations

import pytest

from db.repositories import playbooks as repo
from db.session import SessionFactory, transaction
from playbooks.loader import reference, shipped_playbooks

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
