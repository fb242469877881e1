"""Run every benchmark, one after another, and print what each prints (figure, same-run baseline, ratio).

    .venv/bin/python -m bench [--only progress scoring ...] [--json results.json]   (also: make bench)

Each benchmark runs in its own process, so one's memory and event loop cannot colour the next one's
numbers. --json writes, per benchmark, the command, its exit code, its wall time and what it printed.
The sizes are the issue's defaults where they finish in minutes on a 2-core machine; run a module by
hand for other sizes (each takes --help).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

BENCHES: dict[str, list[str]] = {
    "window_launch": ["--partners", "1000"],
    "step_completion": ["--partners", "100"],
    "progress": ["--partners", "10000"],
    "dashboard_pages": ["--partners", "10000"],
    "scoring": ["--partners", "5000"],
    "tier_review": ["--partners", "10000"],
    "account_matching": ["--db"],
    "crm_import": ["--rows", "20000"],
    "dry_run": ["--partners", "1", "6", "12", "25"],
}


def run(name: str) -> dict[str, object]:
    command = [sys.executable, "-m", f"bench.{name}", *BENCHES[name]]
    print(f"\n== {' '.join(command[1:])}", flush=True)
    started = time.monotonic()
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines = []
    assert proc.stdout is not None
    for line in proc.stdout:
        print(line, end="", flush=True)
        lines.append(line)
    code = proc.wait()
    return {
        "bench": name,
        "command": command[1:],
        "exit_code": code,
        "seconds": round(time.monotonic() - started, 1),
        "output": "".join(lines),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=sorted(BENCHES), default=list(BENCHES))
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    results = [run(name) for name in args.only]
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    failed = [r["bench"] for r in results if r["exit_code"]]
    if failed:
        print(f"\nfailed: {', '.join(str(f) for f in failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
