"""`cosell partners list` and `cosell cohorts list`: read-only views of the directory, tab-separated."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

import typer

from settings import get_settings

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

T = TypeVar("T")


def _read(query: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run one read-only query(session) against the configured database."""
    from db.session import make_engine, make_sessionmaker, transaction

    async def run() -> T:
        engine = make_engine(get_settings().database_url)
        try:
            async with transaction(make_sessionmaker(engine)) as session:
                return await query(session)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def partners_list(
    q: str = typer.Option(None, "--search", help="Part of the name"),
    type_: str = typer.Option(None, "--type", help="ISV | SI | MSP | Reseller"),
    vertical: str = typer.Option(None),
    region: str = typer.Option(None),
    tier: int = typer.Option(None, min=1, max=3),
    limit: int = typer.Option(50, min=1, max=200),
    offset: int = typer.Option(0, min=0),
) -> None:
    """Partners by name (tab-separated: id, name, type, tier, region, verticals)."""
    from db.repositories import partners

    f = partners.DirectoryFilter(q=q, type=type_, vertical=vertical, region=region, tier=tier)
    total, rows = _read(lambda session: partners.directory(session, f, limit, offset))
    for p in rows:
        typer.echo("\t".join([p.id, p.name, p.type, str(p.tier), p.region, ",".join(p.verticals)]))
    typer.echo(f"{len(rows)} of {total} partners", err=True)


def cohorts_list(
    program: str = typer.Option(None, help="Program id or name"),
    status: str = typer.Option(None, help="launching | scheduled | active | paused | closed | cancelled"),
    limit: int = typer.Option(100, min=1, max=500),
) -> None:
    """Cohorts, newest window first (tab-separated: id, name, program, status, starts, ends, partners)."""
    from pydantic import ValidationError

    from api.cohorts import service
    from api.cohorts.schemas import CohortFilter
    from api.errors import AppError

    try:
        f = CohortFilter.model_validate({"program": program, "status": status, "limit": limit})
        cohorts = _read(lambda session: service.listing(session, f))
    except (ValidationError, AppError) as exc:  # a bad status or an unknown program: say so, not a traceback
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc
    for c in cohorts:
        fields = [c.id, c.name, c.program, c.status, c.starts_at.isoformat(), c.ends_at.isoformat(), str(c.partners)]
        typer.echo("\t".join(fields))
