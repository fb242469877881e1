"""`cosell webhooks create|list|deliveries|replay`: a program's outbound webhook subscriptions from the
command line, through the same code as the API (audited as actor `cli`)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

import typer

from settings import get_settings

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

T = TypeVar("T")
webhooks_app = typer.Typer(help="Outbound webhooks of a program (the secret is shown once)", no_args_is_help=True)


def _run(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """work(session) in one transaction; a refusal (unknown id, unsafe URL) on stderr with exit status 1."""
    from api.api_keys import set_actor
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


@webhooks_app.command("create")
def webhooks_create(
    program_id: str,
    url: str = typer.Option(..., "--url"),
    events: list[str] = typer.Option(..., "--event", help="repeat for each event, e.g. --event deal.won"),
    owner: str | None = typer.Option(None, "--owner", help="emailed if it is disabled; default the program's PM"),
) -> None:
    """Subscribe a URL; prints the subscription id, then the secret (shown only now)."""
    from pydantic import ValidationError

    from api.subscriptions.endpoints import create_subscription
    from api.subscriptions.schemas import SubscriptionCreate

    try:
        body = SubscriptionCreate.model_validate({"url": url, "events": events, "owner_email": owner})
    except ValidationError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc
    made = _run(lambda session: create_subscription(program_id, body, session, get_settings()))
    typer.echo(f"{made.id}\t{made.secret}")


@webhooks_app.command("list")
def webhooks_list(program_id: str) -> None:
    """Tab-separated: id, enabled, url, events, consecutive failures."""
    from db.repositories import webhooks

    for s in _run(lambda session: webhooks.subscriptions_of(session, program_id)):
        typer.echo(
            "\t".join(
                [s.id, "enabled" if s.enabled else "disabled", s.url, ",".join(s.events), str(s.consecutive_failures)]
            )
        )


@webhooks_app.command("replay")
def webhooks_replay(program_id: str, subscription_id: str, delivery_id: str) -> None:
    """Send one delivery again (the dispatcher picks it up within seconds)."""
    from api.subscriptions.endpoints import replay_delivery

    replayed = _run(lambda session: replay_delivery(program_id, subscription_id, delivery_id, session))
    typer.echo(f"delivery {replayed.id} is {replayed.status}")
