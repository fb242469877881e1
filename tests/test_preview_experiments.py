"""The dry run of a playbook with experiments: each simulated partner is given a variant the way a real
journey is, and the branches list says which one, for every experiment it met."""

from __future__ import annotations

from pathlib import Path

import pytest

from playbooks.loader import load_playbook
from preview import render, run_preview

PLAYBOOK = Path(__file__).parent / "workflows" / "playbooks" / "experiment-tone.yaml"


@pytest.mark.timeout(300)
async def test_the_dry_run_shows_each_partners_variants() -> None:
    report = await run_preview(load_playbook(PLAYBOOK), partners=3)
    text = render(report)
    prompt = next(name for name in report.branches if "prompt" in name)
    taken = report.branches[prompt]  # the prompt partner reaches both experiments
    assert [b.split(": variant")[0] for b in taken] == ["rules: experiment tone", "case-study: experiment proof-path"]
    assert all(b.split("variant ")[1] in ("formal", "casual", "full", "short") for b in taken), taken
    for name in report.branches:  # every partner meets the kickoff experiment, silent ones too
        assert any(b.startswith("rules: experiment tone: variant ") for b in report.branches[name]), name
    line = next(x for x in text.splitlines() if prompt in x and "experiment tone" in x)
    assert "case-study: experiment proof-path: variant " in line
