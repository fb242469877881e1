"""The shipped playbook that uses every construct, dry-run: the capability play follows the partner's type
(`when:`), the co-sell kit's parallel steps close once two of three are done, the kit's invitation is an
experiment, the intro request waits for overlap, the first deal waits for our field to accept it."""

from __future__ import annotations

import pytest

from playbooks.loader import CONTENT_DIR, load_playbook
from preview import run_preview

CAPABILITY = {
    "ISV": "marketplace-listing",
    "SI": "services-offer",
    "MSP": "hand-off",
    "referral": "hand-off",
}


@pytest.mark.timeout(400)
async def test_each_partner_takes_the_branches_its_type_and_behaviour_lead_to() -> None:
    report = await run_preview(load_playbook(CONTENT_DIR / "cosell-by-type-35d"), partners=4)
    outcomes = {name: status for name, status, _, _ in report.outcomes}
    for name, taken in report.branches.items():
        behaviour, kind = name.split(" (")[1].rstrip(")").split(", ")
        skipped = {b.split(":")[0] for b in taken if ": skipped, partner.type" in b}
        assert skipped == set(CAPABILITY.values()) - {CAPABILITY[kind]}, (name, taken)
        assert any(b.startswith("rules-of-engagement: experiment kit-invite: variant ") for b in taken), taken
        if behaviour == "silent":
            assert "ae-intro-request: on_timeout: escalate" in taken and outcomes[name] == "exited", taken
            continue
        # Last first: the one-pager and the ICP make two of three, and the rules step closes unanswered.
        kit = [b for b in taken if "parallel" in b or "closed" in b]
        assert kit == [
            "one-pager: parallel: done 1 of 3",
            "icp: parallel: done 2 of 3",
            "rules-of-engagement: closed: the play had 2 of 3",
        ], taken
        assert {"ae-intro-request: unlocked: overlap found", "deal-accepted: on_event"} <= set(taken), taken
        assert outcomes[name] == "completed", (name, outcomes)
