"""`cosell keys create|list|revoke`: users' API keys from the command line (audited as actor `cli`)."""

from __future__ import annotations

from datetime import UTC, datetime

import typer

from cli_db import run_as_cli

keys_app = typer.Typer(help="Users' API keys (stored hashed; shown once on creation)", no_args_is_help=True)


@keys_app.command("create")
def keys_create(
    user: str = typer.Option(..., "--user", help="The email of the user the key acts for"),
    name: str = typer.Option(..., "--name", help="What uses the key, e.g. 'nightly CRM sync'"),
) -> None:
    """Create a key and print it once (cosell keeps only its hash)."""
    from api.api_keys import issue

    issued = run_as_cli(lambda session: issue(session, user, name, datetime.now(UTC)))
    typer.echo(issued.key)
    typer.echo(f"created key {issued.prefix} for {user}; it is shown only now", err=True)


@keys_app.command("list")
def keys_list() -> None:
    """Every user's keys, newest first (tab-separated: prefix, user, name, created, last used, revoked)."""
    from db.repositories.api_keys import listing

    def when(moment: datetime | None) -> str:
        return moment.isoformat(timespec="seconds") if moment else "-"

    for key, email in run_as_cli(lambda session: listing(session, None)):
        fields = [key.prefix, email, key.name, when(key.created_at), when(key.last_used_at), when(key.revoked_at)]
        typer.echo("\t".join(fields))


@keys_app.command("revoke")
def keys_revoke(prefix: str) -> None:
    """Revoke a key by its prefix; requests with it are refused at once."""
    from api.api_keys import revoke

    run_as_cli(lambda session: revoke(session, prefix, datetime.now(UTC)))
    typer.echo(f"revoked key {prefix}")
