"""The `cosell` command."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

import cli_keys
import cli_lists
import cli_webhooks
import replay_check as replay
from playbooks.loader import PlaybookError, load_playbook
from settings import Settings, get_settings

if TYPE_CHECKING:
    from temporalio.client import Client

app = typer.Typer(help="cosell: co-sell activation engine", no_args_is_help=True, pretty_exceptions_enable=False)
playbook_app = typer.Typer(help="Validate and publish playbooks", no_args_is_help=True)
db_app = typer.Typer(help="Database migrations", no_args_is_help=True)
app.add_typer(playbook_app, name="playbook")
app.add_typer(db_app, name="db")
accounts_app = typer.Typer(help="Import AEs and CRM accounts (Salesforce, HubSpot or mapped CSV)", no_args_is_help=True)
app.add_typer(accounts_app, name="accounts")
users_app = typer.Typer(help="Dashboard accounts of program managers and admins", no_args_is_help=True)
app.add_typer(users_app, name="users")
tiers_app = typer.Typer(help="Tier reviews", no_args_is_help=True)
app.add_typer(tiers_app, name="tiers")
partners_app = typer.Typer(help="Partners: the directory and the 360 view", no_args_is_help=True)
app.add_typer(partners_app, name="partners")
cohorts_app = typer.Typer(help="Cohorts and their windows", no_args_is_help=True)
app.add_typer(cohorts_app, name="cohorts")
app.add_typer(cli_keys.keys_app, name="keys")
app.add_typer(cli_webhooks.webhooks_app, name="webhooks")


@app.command()
def up(demo: bool = typer.Option(True, help="Create and launch the demo cohort on first run")) -> None:
    """Start everything on embedded defaults: Temporal dev server, worker, API, SQLite, demo data."""
    from embedded import up as run_up

    asyncio.run(run_up(get_settings(), demo=demo))


@app.command()
def worker() -> None:
    """Run a Temporal worker (production: run N of these)."""
    from observability.logs import configure_logging
    from worker import run

    settings = get_settings()
    configure_logging("json" if settings.json_logs else "text")
    asyncio.run(run(settings))


@app.command()
def api(
    host: str = typer.Option(None, help="Address to bind; default COSELL_API_HOST (127.0.0.1)"),
    port: int = typer.Option(None, help="Port; default COSELL_API_PORT (8000)"),
) -> None:
    """Serve the HTTP API and pages (production: run M replicas behind a load balancer)."""
    import uvicorn

    from api.app import create_app
    from observability.logs import configure_logging

    settings = get_settings()
    host, port = host or settings.api_host, port or settings.api_port
    configure_logging("json" if settings.json_logs else "text")
    uvicorn.run(create_app(settings), host=host, port=port, proxy_headers=True, log_config=None)


@app.command("replay-check")
def replay_check(
    histories: Path = typer.Option(replay.SAVED_HISTORIES, help="Folder of saved histories (*.json) to replay"),
    running: int = typer.Option(0, min=0, help="Also replay up to N open workflows of COSELL_TASK_QUEUE"),
) -> None:
    """Replay workflow histories against this build; exit 1 if any fails (deploy gate for new workers)."""
    from wiring import connect
    from worker import WORKFLOWS

    async def run() -> list[replay.Replayed]:
        outcomes = await replay.replay(WORKFLOWS, replay.saved(histories))
        if running:
            client = await connect(get_settings())
            outcomes += await replay.replay(WORKFLOWS, replay.running(client, get_settings().task_queue, running))
        return outcomes

    outcomes = asyncio.run(run())
    for outcome in outcomes:
        typer.echo(
            f"{'FAIL' if outcome.failure else 'ok  '} {outcome.name}{': ' + outcome.failure if outcome.failure else ''}"
        )
    failed = [o for o in outcomes if o.failure]
    typer.echo(f"{len(outcomes)} replayed, {len(failed)} failed", err=bool(failed))
    if failed or not outcomes:
        raise typer.Exit(1)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply all migrations to COSELL_DATABASE_URL."""
    from db.migrate import upgrade
    from db.session import make_engine

    async def run() -> None:
        engine = make_engine(get_settings().database_url)
        await upgrade(engine)
        await engine.dispose()

    asyncio.run(run())
    typer.echo("database is at the latest migration")


@playbook_app.command("validate")
def validate(path: Path) -> None:
    """Check a playbook folder or YAML file; print every problem with file, line and path."""
    try:
        playbook = load_playbook(path)
    except PlaybookError as exc:
        for issue in exc.issues:
            typer.echo(str(issue), err=True)
        typer.echo(f"{len(exc.issues)} problem(s) found", err=True)
        raise typer.Exit(1) from exc
    steps = len(playbook.iter_steps())
    typer.echo(
        f"ok: {playbook.id} v{playbook.version}: {len(playbook.stages)} stages, {steps} steps, "
        f"{playbook.total_days} days"
    )


@playbook_app.command("preview")
def preview(
    playbook: str = typer.Argument(..., help="A playbook folder, or the id of a shipped playbook"),
    partners: int = typer.Option(6, min=1, max=60, help="Simulated partners (prompt, late, silent in turn)"),
) -> None:
    """Dry-run a whole window on simulated time and print what it will do, day by day."""
    from playbooks.loader import CONTENT_DIR
    from preview import PreviewServerError, render, run_preview

    path = Path(playbook) if Path(playbook).exists() else CONTENT_DIR / playbook
    try:
        loaded = load_playbook(path)
    except PlaybookError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc
    # Simulated partners pick accounts no vendor owns; the activities' warnings about that are noise here.
    logging.getLogger("temporalio.activity").setLevel(logging.ERROR)
    try:
        report = asyncio.run(run_preview(loaded, partners))
    except PreviewServerError as exc:
        typer.echo(f"dry run failed: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(render(report))


@playbook_app.command("publish")
def publish(paths: list[Path] = typer.Argument(None, help="Playbook folders; default: the shipped ones")) -> None:
    """Publish playbooks as immutable snapshots (a changed version is refused)."""
    from db.repositories import playbooks as repo
    from db.session import make_engine, make_sessionmaker, transaction
    from playbooks.loader import shipped_playbooks

    playbooks = [load_playbook(p) for p in paths] if paths else shipped_playbooks()

    async def run() -> None:
        engine = make_engine(get_settings().database_url)
        try:
            async with transaction(make_sessionmaker(engine)) as session:
                for playbook in playbooks:
                    ref, new = await repo.publish(session, playbook)
                    typer.echo(
                        f"{'published' if new else 'unchanged'}: {ref.playbook_id} v{ref.version} {ref.sha256[:12]}"
                    )
        finally:
            await engine.dispose()

    try:
        asyncio.run(run())
    except repo.PlaybookChanged as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc


def _run_import(kind: str, file: Path, fmt: str, mapping: list[str]) -> None:
    from api.accounts import service
    from api.accounts.formats import ExportFormat
    from api.partners.import_formats import PartnerFormat
    from api.partners.imports import import_partners
    from db.session import make_engine, make_sessionmaker, transaction

    formats: type[ExportFormat] | type[PartnerFormat] = PartnerFormat if kind == "partners" else ExportFormat
    if fmt not in {f.value for f in formats}:
        typer.echo(f"--format must be one of: {', '.join(f.value for f in formats)}", err=True)
        raise typer.Exit(2)
    pairs = dict(m.split("=", 1) for m in mapping if "=" in m)
    if len(pairs) != len(mapping):
        typer.echo("--map takes field=Header, e.g. --map crm_id='Acct #'", err=True)
        raise typer.Exit(2)
    do_import: Any = {
        "aes": service.import_account_executives,
        "accounts": service.import_vendor_accounts,
        "partners": import_partners,
    }[kind]

    async def run() -> service.ImportResult:
        engine = make_engine(get_settings().database_url)
        try:
            with file.open("rb") as stream:
                async with transaction(make_sessionmaker(engine)) as session:
                    return await do_import(
                        session, stream, formats(fmt), pairs or None, actor="cli", filename=file.name
                    )
        finally:
            await engine.dispose()

    try:
        result = asyncio.run(run())
    except service.ImportRejected as exc:
        for problem in exc.problems if any(p.line for p in exc.problems) else []:
            typer.echo(f"{file}: {problem}", err=True)
        typer.echo(f"{file}: {exc.message}", err=True)
        raise typer.Exit(1) from exc
    counts = f"{result.created} created, {result.updated} updated, {result.unchanged} unchanged"
    overlap = "" if result.overlapping_accounts is None else f"; {result.overlapping_accounts} overlapping accounts"
    typer.echo(f"{file}: {result.rows} rows ({result.source}): {counts}{overlap}")


_FORMAT = typer.Option("auto", "--format", help="auto | salesforce | hubspot")
_MAP = typer.Option([], "--map", help="explicit column: field=Header (repeatable), e.g. crm_id='Acct #'")


@partners_app.command("import")
def partners_import(
    file: Path,
    fmt: str = typer.Option("auto", "--format", help="auto | salesforce | hubspot | partnerstack"),
    mapping: list[str] = _MAP,
) -> None:
    """Create or update partners (by external id) from a Salesforce, HubSpot or PartnerStack export."""
    _run_import("partners", file, fmt, mapping)


@accounts_app.command("import-aes")
def import_aes(file: Path, fmt: str = _FORMAT, mapping: list[str] = _MAP) -> None:
    """Create or update AEs (by email) from a Salesforce User or HubSpot users export."""
    _run_import("aes", file, fmt, mapping)


@accounts_app.command("import-accounts")
def import_accounts(file: Path, fmt: str = _FORMAT, mapping: list[str] = _MAP) -> None:
    """Create or update CRM accounts (by CRM id) from a Salesforce Account or HubSpot company export."""
    _run_import("accounts", file, fmt, mapping)


@users_app.command("create")
def users_create(
    email: str = typer.Option(..., help="Where sign-in links are sent (unique, case-insensitive)"),
    name: str = typer.Option(..., help="The person's name"),
    role: str = typer.Option(..., help="admin (every program) | manager (the --program ones)"),
    program: list[str] = typer.Option([], "--program", help="A program the manager runs, by name or id (repeatable)"),
) -> None:
    """Create a dashboard account; the person signs in at /signin with a link emailed to them."""
    from api.dashboard.users import UserRefused, create
    from db.session import make_engine, make_sessionmaker, transaction

    async def run() -> str:
        engine = make_engine(get_settings().database_url)
        try:
            async with transaction(make_sessionmaker(engine)) as session:
                return (await create(session, email, name, role, program)).email
        finally:
            await engine.dispose()

    try:
        created = asyncio.run(run())
    except UserRefused as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc
    scope = f" for {', '.join(program)}" if program else ""
    typer.echo(f"created {role} {created}{scope}; sign in at {get_settings().public_base_url}/signin")


async def review_tiers(settings: Settings, program_ref: str, period: str | None, client: Client | None = None) -> str:
    """Review a program's tiers now and wait for the outcome; the report, one line per movement."""
    from datetime import UTC, datetime

    from db.repositories import programs, tier_reviews
    from db.session import make_engine, make_sessionmaker, transaction
    from domain.intel.review_period import period_of
    from wiring import connect
    from workflows.tier_review.schedule import ensure_review_schedule, start_review

    engine = make_engine(settings.database_url)
    try:
        sessions = make_sessionmaker(engine)
        async with transaction(sessions) as session:
            program = await programs.by_ref(session, program_ref)
            if program is None:
                raise LookupError(f"no program {program_ref!r} (give its id or its name)")
            program_id, cadence = program.id, program.tier_review_cadence
        period = period or period_of(cadence, datetime.now(UTC))
        client = client or await connect(settings)
        await ensure_review_schedule(client, program_id, cadence, settings.task_queue)
        result = await (await start_review(client, program_id, period, settings.task_queue)).result()
        async with transaction(sessions) as session:
            moves = await tier_reviews.movements(session, result.review_id)
        head = f"tier review {period} of {program_ref}: {result.reviewed} partners judged, {result.moved} moved"
        if result.already_done:
            head = f"tier review {period} of {program_ref} was done before; nothing recorded again"
        lines = [
            f"  {name}: Tier {m.previous_tier} -> Tier {m.new_tier} ({m.move}): {'; '.join(m.reasons)}"
            for m, name in moves
        ]
        return "\n".join([head, *lines])
    finally:
        await engine.dispose()


@tiers_app.command("review")
def tiers_review(
    program: str = typer.Option(..., "--program", help="The program's id or name"),
    period: str = typer.Option(None, help="2026-12, 2026-W49 or 2026-Q4; default: the current period"),
) -> None:
    """Review every partner's tier in a program now (the program's Schedule does it at its cadence)."""
    from domain.intel.review_period import PERIOD

    if period is not None and not PERIOD.match(period):
        typer.echo(f"--period {period!r}: give 2026-12 (monthly), 2026-W49 (weekly) or 2026-Q4 (quarterly)", err=True)
        raise typer.Exit(2)
    try:
        typer.echo(asyncio.run(review_tiers(get_settings(), program, period)))
    except LookupError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc


async def show_partner(settings: Settings, partner_id: str, as_json: bool) -> str:
    """A partner's 360 (GET /api/v1/partners/{id}/360) as JSON, or as a summary a PM reads."""
    from datetime import UTC, datetime

    from api.intel.partner360 import partner_360
    from db.session import make_engine, make_sessionmaker, transaction

    engine = make_engine(settings.database_url)
    try:
        async with transaction(make_sessionmaker(engine)) as session:
            found = await partner_360(session, partner_id, datetime.now(UTC))
    finally:
        await engine.dispose()
    if found is None:
        raise LookupError(f"no partner {partner_id!r}")
    if as_json:
        return found.model_dump_json(indent=2)
    s = found.signals
    lines = [
        f"{found.partner.name} ({found.partner.type}), Tier {s.tier.tier} {s.tier.name}: {s.classification.label}",
        *(f"  {x.name} {x.value}" for x in (*s.signals, s.behavior, *([s.trust] if s.trust else []))),
        f"  next: {s.next_action.action} ({s.next_action.because})",
        f"  journeys {len(found.journeys)}, answers {len(found.submissions)}, deals {len(found.deals)}, "
        f"intros {len(found.intros)}, AE feedback {len(found.feedback)}",
        *(f"  {m.at:%Y-%m-%d}: Tier {m.previous_tier} -> {m.new_tier} ({m.move})" for m in found.tier_history),
    ]
    return "\n".join(lines)


@partners_app.command("show")
def partners_show(
    partner_id: str = typer.Argument(..., help="The partner's id"),
    as_json: bool = typer.Option(False, "--json", help="The whole 360 as the API returns it"),
) -> None:
    """A partner's signals, tier, class, next action and history."""
    try:
        typer.echo(asyncio.run(show_partner(get_settings(), partner_id, as_json)))
    except LookupError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc


partners_app.command("list")(cli_lists.partners_list)
cohorts_app.command("list")(cli_lists.cohorts_list)


if __name__ == "__main__":
    app()
