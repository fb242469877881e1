"""README command 1: `cosell up` starts everything, serves the demo, stops cleanly, and resumes."""

from __future__ import annotations

import os
import random
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.e2e.test_walking_skeleton import form_fields

pytestmark = pytest.mark.e2e
COSELL = str(Path(sys.executable).parent / "cosell")


def fixed_port() -> int:
    """A free port below the kernel's ephemeral range: the Temporal dev server binds several random
    ephemeral ports of its own (HTTP API, membership) and, on a restart, could take one picked from there."""
    low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    for port in random.sample(range(20000, min(low, 32000)), 200):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise AssertionError("no free port below the ephemeral range")


def start(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([COSELL, "up"], env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT, cwd=log.parent)


def wait_for_banner(log: Path, process: subprocess.Popen[bytes], seconds: float = 90) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        text = log.read_text()
        if text.count("Press Ctrl-C to stop.") > text.count("stopped."):
            return text
        assert process.poll() is None, text
        time.sleep(0.25)
    raise AssertionError(log.read_text())


def stop(process: subprocess.Popen[bytes]) -> int:
    process.send_signal(signal.SIGINT)
    return process.wait(timeout=60)


def poll(fetch, seconds: float = 60):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if result := fetch():
            return result
        time.sleep(0.25)
    raise AssertionError("timed out")


def complete_one_step(pm: httpx.Client, cohort_id: str) -> tuple[list[dict], int]:
    """One partner acknowledges its invite: its journey moves on; what the partners show and how many
    emails were sent, for the restart to keep."""

    def four_invites() -> list[dict] | None:
        invites = [m for m in pm.get("/dev/inbox/messages").json() if m["kind"] == "step_invite"]
        return invites if len(invites) == 4 else None

    invites = poll(four_invites)
    first = invites[-1]
    browser = httpx.Client(follow_redirects=True)
    page = browser.get(first["links"][0])
    assert page.status_code == 200
    done = browser.post(first["links"][0], data={**form_fields(page.text), "acknowledged": "yes"})
    assert done.status_code == 200 and "is complete" in done.text and done.url.path == "/p/done"

    def moved() -> dict | None:
        partners = pm.get(f"/api/v1/cohorts/{cohort_id}/progress").json()["partners"]
        on_next = [p for p in partners if p["current_step"] not in (None, "kickoff-call")]
        return partners if on_next else None

    partners = poll(moved)
    assert sum(p["current_step"] == "kickoff-call" for p in partners) == len(partners) - 1

    def five_invites() -> list[dict] | None:  # the moved partner's next-step invite has landed
        messages = pm.get("/dev/inbox/messages").json()
        return messages if sum(m["kind"] == "step_invite" for m in messages) == 5 else None

    sent_before = len(poll(five_invites))
    return partners, sent_before


def test_cosell_up_demo_end_to_end_and_restart(tmp_path: Path) -> None:
    api, temporal, ui = fixed_port(), fixed_port(), fixed_port()
    base = f"http://127.0.0.1:{api}"
    env = {
        **os.environ,
        "COSELL_DATA_DIR": str(tmp_path / "data"),
        "COSELL_API_PORT": str(api),
        "COSELL_TEMPORAL_ADDRESS": f"127.0.0.1:{temporal}",
        "COSELL_TEMPORAL_UI_PORT": str(ui),
        "COSELL_PUBLIC_BASE_URL": base,
    }
    log = tmp_path / "up.log"
    process = start(env, log)
    try:
        banner = wait_for_banner(log, process)
        assert f"{base}/dev/inbox" in banner and f"{base}/docs" in banner and f":{ui}" in banner
        assert f"{base}/signin" in banner and "admin@cosell.example" in banner
        cohort_id = re.search(r"cohorts/([0-9a-f-]+)/progress", banner).group(1)  # type: ignore[union-attr]
        pm = httpx.Client(base_url=base, headers={"Authorization": "Bearer dev-pm-key"})

        partners, sent_before = complete_one_step(pm, cohort_id)
        assert stop(process) == 0
        assert "stopped." in log.read_text()

        process = start(env, log)
        banner = wait_for_banner(log, process)
        assert cohort_id in banner.rsplit("cosell is running.", 1)[1]
        cohorts_now = pm.get(f"/api/v1/cohorts/{cohort_id}").json()
        assert cohorts_now["status"] == "active" and cohorts_now["partners"] == 4
        after = {
            p["partner_id"]: p["current_step"]
            for p in pm.get(f"/api/v1/cohorts/{cohort_id}/progress").json()["partners"]
        }
        assert after == {p["partner_id"]: p["current_step"] for p in partners}  # state survived the restart
        # relaunch sent no duplicates: an absence has no moment to wait for, so watch it for a while and
        # fail on the first extra message (the restarted worker resumes its journeys within seconds)
        for _ in range(25):
            assert len(pm.get("/dev/inbox/messages").json()) == sent_before
            time.sleep(0.2)
    finally:
        if process.poll() is None:
            stop(process)


def dev_servers_of(parent: int) -> list[int]:
    """The Temporal dev servers `cosell up` (pid `parent`) started: its children running `start-dev`."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes()
        except OSError:
            continue
        if int(fields[1]) == parent and b"start-dev" in cmdline:
            found.append(int(stat.parent.name))
    return found


def running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie holds no ports


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the dev server follows its parent via prctl")
def test_the_dev_server_dies_with_a_killed_cosell_up_and_the_next_start_works(tmp_path: Path) -> None:
    api, temporal, ui = fixed_port(), fixed_port(), fixed_port()
    env = {
        **os.environ,
        "COSELL_DATA_DIR": str(tmp_path / "data"),
        "COSELL_API_PORT": str(api),
        "COSELL_TEMPORAL_ADDRESS": f"127.0.0.1:{temporal}",
        "COSELL_TEMPORAL_UI_PORT": str(ui),
    }
    log = tmp_path / "up.log"
    process = subprocess.Popen(
        [COSELL, "up", "--no-demo"], env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT, cwd=tmp_path
    )
    servers: list[int] = []
    try:
        wait_for_banner(log, process)
        servers = dev_servers_of(process.pid)
        assert len(servers) == 1, servers
        process.kill()
        process.wait(timeout=30)
        deadline = time.monotonic() + 30
        while running(servers[0]) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not running(servers[0]), f"the dev server {servers[0]} still runs 30 s after its parent was killed"

        log = tmp_path / "again.log"
        process = subprocess.Popen(
            [COSELL, "up", "--no-demo"], env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT, cwd=tmp_path
        )
        banner = wait_for_banner(log, process)
        assert "already in use" not in banner
        assert stop(process) == 0
    finally:
        if process.poll() is None:
            process.kill()
        for pid in servers:  # never leave an orphan behind, even when the assertion failed
            if running(pid):
                os.kill(pid, signal.SIGKILL)
