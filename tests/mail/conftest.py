from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from db.migrate import upgrade
from db.session import SessionFactory, make_engine, make_sessionmaker


@pytest_asyncio.fixture(scope="module")
async def outbox_db(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[SessionFactory]:
    """One migrated SQLite database per module for backend tests that only need outbox rows:
    every row gets its own key, so tests stay independent without paying for a database each."""
    path: Path = tmp_path_factory.mktemp("outbox") / "cosell.db"
    engine = make_engine(f"sqlite+aiosqlite:///{path}")
    await upgrade(engine)
    yield make_sessionmaker(engine)
    await engine.dispose()
