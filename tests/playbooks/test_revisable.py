"""`revisable: true` as the loader reads it: allowed on a step whose answers are all it does, refused (with
file, line and path) on a kind whose completion does something a revision could not undo."""

from __future__ import annotations

from pathlib import Path

import pytest

from playbooks.loader import load_playbook
from tests.playbooks.test_unlock_parallel import HERE, issues_of

pytestmark = pytest.mark.timeout(30)


def test_a_form_step_may_be_revisable() -> None:
    playbook = load_playbook(HERE / "revisable.yaml")
    assert (playbook.step("icp").revisable, playbook.step("kickoff").revisable) == (True, False)


@pytest.mark.parametrize("kind", ["deal_registration", "ae_intro_request", "account_upload"])
def test_a_kind_with_an_effect_or_its_own_page_is_refused_at_the_flag(tmp_path: Path, kind: str) -> None:
    found = issues_of(
        tmp_path,
        "revisable.yaml",
        "kind: acknowledge\n            title: Read",
        f"kind: {kind}\n            revisable: true\n            title: Read",
    )
    assert [(path, line) for _, path, _, line in found if path.endswith("revisable")] == [
        ("stages[0].plays[0].steps[1].revisable", "revisable: true")
    ], found
    [message] = [m for _, path, m, _ in found if path.endswith("revisable")]
    assert f"a {kind} step cannot be revisable" in message
