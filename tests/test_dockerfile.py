"""The Dockerfile without a container engine: what it promises, checked statically. A pinned base, the
runtime dependencies only (all pinned by the lock), a non-root user, a health check on a route that exists,
nothing written at run time, and a default command that is a real `cosell` command. The allowlist in
.dockerignore must ship every module pyproject.toml installs."""

from __future__ import annotations

import json
import re
import shlex
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from api.app import create_app
from settings import Settings
from tests.test_compose import COMPOSE, PROJECT, parse_cli

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, continuation lines joined, comments dropped."""
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    joined = re.sub(r"\\\n\s*", " ", "\n".join(lines))
    return [
        (op.upper(), args.strip()) for op, _, args in (ln.strip().partition(" ") for ln in joined.splitlines()) if op
    ]


DOCKERFILE = instructions((ROOT / "Dockerfile").read_text())


def arguments(op: str) -> list[str]:
    return [args for name, args in DOCKERFILE if name == op]


def lock() -> dict[str, str]:
    pins = [line.split("==") for line in (ROOT / "requirements.lock").read_text().split() if "==" in line]
    return {canonicalize_name(name): version for name, version in pins}


def closure(requirements: list[str]) -> set[str]:
    """Every distribution these requirements install, as the environment resolved them (extras followed)."""
    seen: set[str] = set()
    todo = [Requirement(r) for r in requirements]
    while todo:
        req = todo.pop()
        name = canonicalize_name(req.name)
        for extra in req.extras or {""}:
            for sub in metadata.requires(name) or []:
                child = Requirement(sub)
                if child.marker is None or child.marker.evaluate({"extra": extra}):
                    todo.append(child)
        seen.add(name)
    return seen


def test_the_base_image_is_pinned_by_version_and_digest() -> None:
    [base] = arguments("FROM")
    python = re.fullmatch(r"python:(3\.\d+)\.\d+-slim-\w+@sha256:[0-9a-f]{64}", base)
    assert python is not None, base
    assert PYPROJECT["project"]["requires-python"].startswith(f">={python.group(1)},"), base


def test_only_runtime_dependencies_are_installed_each_pinned_by_the_lock() -> None:
    installs = [run for run in arguments("RUN") for cmd in run.split("&&") if re.match(r"\s*pip3? install", cmd)]
    assert installs, DOCKERFILE
    for run in installs:
        assert "--constraint requirements.lock" in run and "--editable ." in run, run
        assert "[dev]" not in run and not re.search(r"(-r|--requirement)\s+requirements", run), run
    runtime = closure(PYPROJECT["project"]["dependencies"])
    pinned = lock()
    assert sorted(runtime - set(pinned)) == [], "runtime dependencies the lock does not pin"
    dev = {canonicalize_name(Requirement(r).name) for r in PYPROJECT["project"]["optional-dependencies"]["dev"]}
    assert dev and not (dev & runtime), sorted(dev & runtime)
    assert {"pytest", "mypy", "ruff", "playwright"} <= dev


def test_it_runs_as_a_numeric_non_root_user() -> None:
    user = arguments("USER")[-1]
    assert re.fullmatch(r"[1-9]\d*:[1-9]\d*", user), user
    last_user = max(i for i, (op, _) in enumerate(DOCKERFILE) if op == "USER")
    assert [op for op, _ in DOCKERFILE[last_user:]] == ["USER", "EXPOSE", "HEALTHCHECK", "CMD"]


def test_the_health_check_asks_a_route_that_exists() -> None:
    [check] = arguments("HEALTHCHECK")
    options, _, command = check.partition(" CMD ")
    assert "--timeout=" in options and "--interval=" in options, check
    argv = json.loads(command)
    assert argv[:2] == ["python", "-c"], argv
    compile(argv[2], "HEALTHCHECK", "exec")
    probe = re.search(r"http://127\.0\.0\.1:(\d+)(/\w+)", argv[2])
    assert probe is not None and probe.group(2) in create_app(Settings(environment="test")).openapi()["paths"]
    assert f"{probe.group(1)}" in arguments("EXPOSE") and f'"{probe.group(1)}"' in " ".join(arguments("CMD"))


def test_nothing_is_written_at_run_time() -> None:
    env = dict(shlex.split(pair)[0].split("=", 1) for args in arguments("ENV") for pair in shlex.split(args))
    assert env["PYTHONDONTWRITEBYTECODE"] == "1" and env["HOME"].startswith("/tmp"), env
    assert any("compileall" in run for run in arguments("RUN"))
    for name, service in PROJECT.items():  # the compose file runs the image that way
        assert service["read_only"] is True and "/tmp" in service["tmpfs"], name


def test_the_default_command_is_a_real_cosell_command() -> None:
    [command] = arguments("CMD")
    argv = json.loads(command)  # exec form: signals reach the process, not a shell
    assert parse_cli(argv).name == "api"
    assert "0.0.0.0" in argv, "the API binds localhost by default: unreachable from outside the container"
    assert {svc["command"][0] for svc in PROJECT.values()} <= {"cosell", "sh"}, COMPOSE["services"]


@pytest.mark.parametrize("kind", ["py-modules", "packages"])
def test_the_build_context_ships_every_installed_module(kind: str) -> None:
    lines = [ln for ln in (ROOT / ".dockerignore").read_text().splitlines() if ln and not ln.startswith("#")]
    assert lines[0] == "*", "an allowlist: everything else stays out of the image"
    shipped = {ln[1:] for ln in lines if ln.startswith("!")}
    setuptools = PYPROJECT["tool"]["setuptools"]
    if kind == "py-modules":
        wanted = {f"{m}.py" for m in setuptools["py-modules"]} | {"pyproject.toml", "requirements.lock", "alembic.ini"}
    else:
        wanted = {p.rstrip("*") for p in setuptools["packages"]["find"]["include"]}
    assert sorted(wanted - shipped) == []
    assert all((ROOT / name).exists() for name in shipped), sorted(n for n in shipped if not (ROOT / n).exists())
