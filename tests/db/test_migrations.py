from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from db.migrate import upgrade
from db.models import Base
from db.session import make_engine


class TestMigrations:
    async def test_migrations_build_exactly_the_models(self, db_url: str) -> None:
        engine = make_engine(db_url)
        try:
            await upgrade(engine)

            def diff(connection: Connection) -> list:
                context = MigrationContext.configure(connection, opts={"compare_type": True})
                return compare_metadata(context, Base.metadata)

            async with engine.connect() as connection:
                assert await connection.run_sync(diff) == []
                tables = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
            assert set(Base.metadata.tables) <= tables
        finally:
            await engine.dispose()

    async def test_upgrade_is_idempotent(self, db_url: str) -> None:
        engine = make_engine(db_url)
        try:
            await upgrade(engine)
            await upgrade(engine)
        finally:
            await engine.dispose()
