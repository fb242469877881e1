"""Time the dry run (`cosell playbook preview`) of a playbook for growing numbers of simulated partners
and print whether it grows linearly.

    .venv/bin/python -m bench.dry_run [--playbook cloud-cosell-90d --partners 1 6 12 25]

The baseline, measured in the same run, is the smallest size: the simulated window's fixed cost (its
ticks, the test server, the worker). Each larger size prints its time and what each partner added since
the previous size cost; the last line compares the last partners' cost with the first ones' (1.0 is
linear; above 1 the dry run grows faster than the partners do).
"""

from __future__ import annotations

import argparse
import asyncio
import logging

from playbooks.loader import CONTENT_DIR, load_playbook
from preview import run_preview


async def main(playbook_id: str, sizes: list[int]) -> None:
    logging.getLogger("temporalio.activity").setLevel(logging.ERROR)
    playbook = load_playbook(CONTENT_DIR / playbook_id)
    sizes = sorted(sizes)
    seconds = {}
    for n in sizes:
        report = await run_preview(playbook, n)
        seconds[n] = report.seconds
        print(
            f"{playbook_id}: {n:>3} partners simulated {playbook.total_days} days in {report.seconds:6.1f} s",
            flush=True,
        )
    base_n, base_s = sizes[0], seconds[sizes[0]]
    print(f"\nbaseline: {base_n} partner(s), {base_s:.1f} s (the window's fixed cost)")
    print("| partners | seconds | s per partner added since the previous size |")
    print("| --- | --- | --- |")
    margins = []
    for prev, n in zip(sizes, sizes[1:], strict=False):
        margins.append((seconds[n] - seconds[prev]) / (n - prev))
        print(f"| {n} | {seconds[n]:.1f} | {margins[-1]:.2f} |")
    if len(margins) > 1 and margins[0] > 0:
        print(f"last partners cost {margins[-1] / margins[0]:.2f}x the first ones (1.0 = linear)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--playbook", default="cloud-cosell-90d")
    parser.add_argument("--partners", type=int, nargs="+", default=[1, 6, 12, 25])
    args = parser.parse_args()
    asyncio.run(main(args.playbook, args.partners))
