"""One transaction for a CLI command that changes the database through the API's own code, audited as
actor `cli`; a refusal (unknown id, unsafe URL, refused key) is said on stderr with exit status 1."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

import typer

from settings import get_settings

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

T = TypeVar("T")


def run_as_cli(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    from api.api_keys import KeyRefused, set_actor
    from api.errors import AppError
    from db.session import make_engine, make_sessionmaker, transaction

    async def run() -> T:
        engine = make_engine(get_settings().database_url)
        try:
            async with transaction(make_sessionmaker(engine)) as session:
                set_actor(session, "cli")
                return await work(session)
        finally:
            await engine.dispose()

    try:
        return asyncio.run(run())
    except AppError as exc:
        typer.echo(f"{exc.message}: {exc.detail}" if exc.detail else exc.message, err=True)
        raise typer.Exit(1) from exc
    except KeyRefused as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc
