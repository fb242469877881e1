"""The structured version diff, on two shipped versions of overlap-first-21d (v1 and v2 are kept in
tests/playbooks/data as they shipped; v3 is the one shipped now) and on edits a PM would make."""

from __future__ import annotations

import shutil
from pathlib import Path

from playbooks.diff import compare
from playbooks.loader import CONTENT_DIR, load_playbook
from playbooks.model import Playbook
from playbooks.play_library import LIBRARY_DIR

V1 = Path(__file__).parent / "data" / "overlap-first-21d-v1" / "playbook.yaml"
V2 = Path(__file__).parent / "data" / "overlap-first-21d-v2" / "playbook.yaml"


def shipped_folder(tmp_path: Path, yaml: Path) -> Path:
    """An older version's YAML beside the play files it names (unchanged since v1 shipped, now in the library)."""
    folder = tmp_path / yaml.parent.name
    (folder / "plays").mkdir(parents=True)
    for play in ("joint-account-mapping", "ae-introductions", "first-co-sell-deal"):
        shutil.copy(LIBRARY_DIR / play / "v1" / "plays" / f"{play}.md", folder / "plays")
    shutil.copy(yaml, folder / "playbook.yaml")
    return folder


def shipped(tmp_path: Path, yaml: Path = V1) -> Playbook:
    return load_playbook(shipped_folder(tmp_path, yaml))


def test_overlap_first_v1_to_v2_is_a_longer_acceleration_stage_and_an_added_wait(tmp_path: Path) -> None:
    v1, v2 = shipped(tmp_path), shipped(tmp_path, V2)
    assert (v1.version, v2.version) == (1, 2)
    changes = compare(v1, v2)
    summary = [(c.what, c.key, c.change) for c in changes]
    assert summary == [("stage", "acceleration", "changed"), ("step", "deal-accepted", "added")]
    stage = changes[0]
    assert [(s.name, s.label, s.before, s.after) for s in stage.settings] == [
        ("duration_days", "duration (days)", 7, 14)
    ]
    added = changes[1]
    assert (added.title, added.where) == ("Our field accepts your deal", v2.play_of("deal-accepted").title)
    backwards = [(c.what, c.key, c.change) for c in compare(v2, v1)]
    assert backwards == [("stage", "acceleration", "changed"), ("step", "deal-accepted", "removed")]


def test_overlap_first_v2_to_v3_unlocks_the_intro_request_by_overlap(tmp_path: Path) -> None:
    v2, v3 = shipped(tmp_path, V2), load_playbook(CONTENT_DIR / "overlap-first-21d")
    assert v3.version == 3 and v3.step("ae-intro-request").unlock is not None
    summary = {(c.what, c.key, c.change) for c in compare(v2, v3)}
    assert ("step", "ae-intro-request", "changed") in summary and ("stage", "activation", "changed") in summary


def test_conditions_due_rules_gates_removed_and_moved_steps_are_named() -> None:
    old = load_playbook(CONTENT_DIR / "overlap-first-21d")
    data = old.model_dump(mode="json")
    stages = data["stages"]
    first_play = stages[0]["plays"][0]
    step = first_play["steps"][0]
    step["due_days"] += 2
    step["when"] = "partner.type == 'ISV'"
    stages[0]["gate"]["min_readiness"] = 55
    moved = stages[1]["plays"][0]["steps"].pop(0)
    first_play["steps"].append(moved)
    removed = stages[2]["plays"][0]["steps"].pop()
    new = Playbook.model_validate({**data, "version": 3})
    changes = {(c.what, c.key): c for c in compare(old, new)}
    edited = changes[("step", step["key"])]
    assert {s.name: (s.before, s.after) for s in edited.settings} == {
        "due_days": (step["due_days"] - 2, step["due_days"]),
        "when": (None, "partner.type == 'ISV'"),
    }
    assert [s.label for s in edited.settings] == ["due in (days)", "condition"]
    gate = changes[("stage", "awareness")].settings
    assert [(s.label, s.after["min_readiness"]) for s in gate] == [("exit gate", 55)]
    assert changes[("step", moved["key"])].change == "moved"
    assert changes[("step", moved["key"])].where == first_play["title"]
    assert changes[("step", removed["key"])].change == "removed"
    assert compare(old, old) == []
