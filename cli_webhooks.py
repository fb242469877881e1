"""`cosell webhooks create|list|deliveries|replay`: a program's outbound webhook subscriptions from the
command line, through the same code as the API (audited as actor `cli`)."""

from __future__ import annotations

import typer

from cli_db import run_as_cli
from settings import get_settings

webhooks_app = typer.Typer(help="Outbound webhooks of a program (the secret is shown once)", no_args_is_help=True)


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
    made = run_as_cli(lambda session: create_subscription(program_id, body, session, get_settings()))
    typer.echo(f"{made.id}\t{made.secret}")


@webhooks_app.command("list")
def webhooks_list(program_id: str) -> None:
    """Tab-separated: id, enabled, url, events, consecutive failures."""
    from db.repositories import webhooks

    for s in run_as_cli(lambda session: webhooks.subscriptions_of(session, program_id)):
        typer.echo(
            "\t".join(
                [s.id, "enabled" if s.enabled else "disabled", s.url, ",".join(s.events), str(s.consecutive_failures)]
            )
        )


@webhooks_app.command("replay")
def webhooks_replay(program_id: str, subscription_id: str, delivery_id: str) -> None:
    """Send one delivery again (the dispatcher picks it up within seconds)."""
    from api.subscriptions.endpoints import replay_delivery

    replayed = run_as_cli(lambda session: replay_delivery(program_id, subscription_id, delivery_id, session))
    typer.echo(f"delivery {replayed.id} is {replayed.status}")
