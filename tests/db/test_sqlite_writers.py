"""The embedded SQLite database takes one writer at a time and many readers: every connection the app's
engine opens is in WAL mode with a busy timeout, so a second writer waits instead of failing."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import func, select, text, update

from db.migrate import upgrade
from db.models import AuditLog, Program
from db.session import make_engine, make_sessionmaker, transaction

WRITERS, TRANSACTIONS = 8, 25


class TestSqliteWriters:
    async def test_every_connection_is_set_for_one_writer_and_many_readers(self, tmp_path: Path) -> None:
        engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'cosell.db'}")
        try:
            async with engine.connect() as conn:
                pragmas = [
                    (await conn.execute(text(f"PRAGMA {name}"))).scalar()
                    for name in ("journal_mode", "synchronous", "busy_timeout", "foreign_keys")
                ]
            assert pragmas == ["wal", 1, 30000, 1]  # synchronous 1 is NORMAL: safe in WAL, no fsync per commit
        finally:
            await engine.dispose()

    async def test_two_engines_writing_at_once_never_see_a_locked_database(self, tmp_path: Path) -> None:
        # Two engines on one file, as the API and the worker processes open it; each transaction reads
        # before it writes and holds its write across an await, the shape of a projection activity.
        url = f"sqlite+aiosqlite:///{tmp_path / 'cosell.db'}"
        engines = [make_engine(url), make_engine(url)]
        try:
            await upgrade(engines[0])
            factories = [make_sessionmaker(e) for e in engines]
            async with transaction(factories[0]) as session:
                session.add(Program(id="p", name="Program"))

            async def writer(n: int) -> None:
                for i in range(TRANSACTIONS):
                    async with transaction(factories[n % 2]) as session:
                        seen = await session.scalar(select(func.count()).select_from(AuditLog))
                        session.add(AuditLog(actor=f"writer-{n}", action="write", detail={"i": i, "seen": seen}))
                        await session.flush()
                        await asyncio.sleep(0.002)
                        await session.execute(update(Program).where(Program.id == "p").values(pm_email=f"{n}-{i}"))

            await asyncio.gather(*(writer(n) for n in range(WRITERS)))  # an OperationalError would fail here
            async with transaction(factories[1]) as session:
                written = await session.scalar(select(func.count()).select_from(AuditLog))
            assert written == WRITERS * TRANSACTIONS
        finally:
            for engine in engines:
                await engine.dispose()
