"""docker-compose.yml without a container engine: valid against the Compose specification, every
project command parses as a real `cosell` command, every COSELL_* variable is a setting, every health
check asks a route that exists, and the API and worker start with the file's environment."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shlex
import signal
import sys
from importlib import resources
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
import typer.main
import yaml
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from cli import app as cli_app
from observability.server import probe_app
from settings import Settings
from tests.api.test_access_log import free_port
from tests.conftest import PostgresServer
from tests.waiting import eventually

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
PROJECT = {name: svc for name, svc in COMPOSE["services"].items() if "build" in svc}
VARIABLE = re.compile(r"\$\{(\w+)(?::?([-?])([^}]*))?\}")


def compose_schema() -> dict[str, Any]:
    # check-jsonschema vendors the Compose specification's schema (with its license) and keeps it current.
    vendor = resources.files("check_jsonschema") / "builtin_schemas" / "vendor" / "compose-spec.json"
    return json.loads(vendor.read_text())


def commands(service: dict[str, Any]) -> list[list[str]]:
    command = service["command"]
    if command[:2] == ["sh", "-c"]:
        return [shlex.split(part) for part in command[2].split("&&")]
    return [command]


def parse_cli(args: list[str]) -> Any:
    """Resolve `cosell ...` to its command and parse its options, as the real CLI would (typer ships its
    own copy of click, hence the duck typing)."""
    assert args[0] == "cosell", args
    command: Any = typer.main.get_command(cli_app)
    rest = args[1:]
    while hasattr(command, "resolve_command"):
        with command.make_context("cosell", list(rest), resilient_parsing=True) as ctx:
            name, found, rest = command.resolve_command(ctx, rest)
        assert found is not None, f"no command {name!r} in {args}"
        command = found
    command.make_context(command.name or "", list(rest))  # raises on an unknown option
    return command


def test_the_file_follows_the_compose_specification() -> None:
    validator = jsonschema.validators.validator_for(compose_schema())(compose_schema())
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(COMPOSE)]
    assert errors == []
    assert set(PROJECT) == {"migrate", "api", "worker"}


def test_the_validation_refuses_a_broken_file() -> None:
    broken = {**COMPOSE, "services": {**COMPOSE["services"], "api": {**PROJECT["api"], "restart": 3}}}
    validator = jsonschema.validators.validator_for(compose_schema())(compose_schema())
    assert not validator.is_valid(broken)


@pytest.mark.parametrize("name", sorted(PROJECT))
def test_every_project_command_is_a_real_cosell_command(name: str) -> None:
    for args in commands(PROJECT[name]):
        parse_cli(args)
    with pytest.raises(Exception, match="No such option"):
        parse_cli(["cosell", "api", "--no-such-option"])


def test_every_cosell_variable_is_a_setting_and_secrets_have_no_default() -> None:
    environment = {**PROJECT["api"]["environment"], **PROJECT["worker"]["environment"]}
    unknown = [key for key in environment if key.startswith("COSELL_") and key[7:].lower() not in Settings.model_fields]
    assert unknown == []
    raw = (ROOT / "docker-compose.yml").read_text()
    for secret in ("POSTGRES_PASSWORD", "COSELL_LINK_SIGNING_KEYS", "COSELL_API_KEYS"):
        assert re.search(r"\$\{" + secret + r":\?", raw) and not re.search(r"\$\{" + secret + r":-", raw), secret


def test_health_checks_ask_routes_that_exist() -> None:
    served = {
        "api": create_app(Settings(environment="test")).openapi()["paths"],
        "worker": probe_app(None, None).openapi()["paths"],  # type: ignore[arg-type] - routes only
    }
    for name, paths in served.items():
        probe = re.search(r"http://127\.0\.0\.1:\d+(/\w+)", " ".join(PROJECT[name]["healthcheck"]["test"]))
        assert probe is not None and probe.group(1) in paths, (name, sorted(paths))
    nginx = (ROOT / "deploy" / "nginx.conf").read_text()
    assert "/healthz" in " ".join(COMPOSE["services"]["proxy"]["healthcheck"]["test"]) and "api:8000" in nginx


def interpolate(match: re.Match[str], given: dict[str, str]) -> str:
    """Compose's rules: ${VAR:-default}, ${VAR:?error} (refuses to start), ${VAR}."""
    name, kind, rest = match.groups()
    if name in given:
        return given[name]
    assert kind != "?", f"compose would refuse to start: {rest}"
    return rest if kind == "-" else ""


def environment_for(service: str, database_url: str, temporal: str, port: int) -> dict[str, str]:
    """The service's compose environment with test values: secrets long enough, local Postgres and dev server."""
    given = {
        "POSTGRES_PASSWORD": "unused",
        "COSELL_PUBLIC_BASE_URL": "https://cosell.example",
        "COSELL_LINK_SIGNING_KEYS": json.dumps(["k" * 48]),
        "COSELL_API_KEYS": json.dumps(["pm-" + "x" * 40]),
        "COSELL_EMAIL_BACKEND": "smtp",
        "COSELL_EMAIL_FROM": "partners@vendor.example",
        "COSELL_PROGRAM_NAME": "Partner Program",
        "COSELL_SMTP_HOST": "127.0.0.1",
    }
    declared = PROJECT[service]["environment"].items()
    env = {k: VARIABLE.sub(lambda m: interpolate(m, given), str(v)) for k, v in declared}
    env.update(COSELL_DATABASE_URL=database_url, COSELL_TEMPORAL_ADDRESS=temporal, COSELL_TASK_QUEUE=f"q-{port}")
    if service == "worker":
        metrics = str(free_port())  # not the file's 9464: parallel runs on one machine
        env.update(
            COSELL_WORKER_HTTP_HOST="127.0.0.1", COSELL_WORKER_HTTP_PORT=str(port), COSELL_TEMPORAL_METRICS_PORT=metrics
        )
    return {**{k: v for k, v in os.environ.items() if not k.startswith("COSELL_")}, **env}


@pytest.mark.e2e
@pytest.mark.postgres
async def test_migrate_then_the_api_and_worker_start_ready_with_the_compose_environment(
    dev_env: WorkflowEnvironment, postgres: PostgresServer
) -> None:
    database_url = await postgres.new_database()
    temporal = dev_env.client.service_client.config.target_host
    port_api, port_worker = free_port(), free_port()
    migrate_env = environment_for("migrate", database_url, temporal, 0)
    for args in commands(PROJECT["migrate"]):
        done = await asyncio.create_subprocess_exec(sys.executable, "-m", "cli", *args[1:], cwd=ROOT, env=migrate_env)
        assert await asyncio.wait_for(done.wait(), 120) == 0, args
    api_args = [a if a != "8000" else str(port_api) for a in PROJECT["api"]["command"]][1:]
    api_args = [a if a != "0.0.0.0" else "127.0.0.1" for a in api_args]
    started = [
        await asyncio.create_subprocess_exec(
            sys.executable, "-m", "cli", *api_args, cwd=ROOT, env=environment_for("api", database_url, temporal, 0)
        ),
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "cli",
            *PROJECT["worker"]["command"][1:],
            cwd=ROOT,
            env=environment_for("worker", database_url, temporal, port_worker),
        ),
    ]
    try:
        async with httpx.AsyncClient() as http:
            for port, process in zip((port_api, port_worker), started, strict=True):
                await eventually(lambda p=port, s=process: ready(http, p, s), what=f"readyz on {port}", within=90)
    finally:
        for process in started:
            process.send_signal(signal.SIGTERM)
        for process in started:
            await asyncio.wait_for(process.wait(), 30)


async def ready(http: httpx.AsyncClient, port: int, process: asyncio.subprocess.Process) -> bool:
    assert process.returncode is None, f"exited with {process.returncode}"
    try:
        answer = await http.get(f"http://127.0.0.1:{port}/readyz")
    except httpx.TransportError as exc:
        raise AssertionError(f"not listening yet: {exc!r}") from exc
    assert answer.status_code == 200, answer.text
    return True
