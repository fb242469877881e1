"""`unlock:` steps and parallel plays as the loader reads them: an unlock needs a timeout and a timeout
branch, a parallel play's rules are checked, and every mistake names file, line and path."""

from __future__ import annotations

from pathlib import Path

import pytest

from playbooks.loader import PlaybookError, load_playbook

HERE = Path(__file__).resolve().parents[1] / "workflows" / "playbooks"
UNLOCK = "unlock: {by: overlap, timeout_days: 10, on_timeout: escalate}"


def issues_of(tmp_path: Path, source: str, old: str, new: str) -> list[tuple[int | None, str, str, str]]:
    text = (HERE / source).read_text()
    assert old in text, old
    path = tmp_path / "playbook.yaml"
    path.write_text(text.replace(old, new, 1))
    with pytest.raises(PlaybookError) as err:
        load_playbook(path)
    lines = path.read_text().splitlines()
    return [(i.line, i.path, i.message, lines[(i.line or 1) - 1].strip()) for i in err.value.issues]


class TestUnlock:
    def test_the_short_form_without_a_timeout_is_refused_at_its_line(self, tmp_path: Path) -> None:
        found = issues_of(tmp_path, "overlap-unlock.yaml", UNLOCK, "unlock: overlap")
        assert [(path, message, line) for _, path, message, line in found] == [
            (
                "stages[0].plays[0].steps[0].unlock.timeout_days",
                "an unlock needs `timeout_days`: how long to wait for it before `on_timeout`",
                "unlock: overlap",
            ),
            (
                "stages[0].plays[0].steps[0].unlock.on_timeout",
                "an unlock needs `on_timeout` (skip, escalate or exit): what happens if it never comes",
                "unlock: overlap",
            ),
        ]
        assert found[0][0] == 18  # the step's `unlock:` line of overlap-unlock.yaml

    def test_an_unlock_with_an_unknown_trigger_or_on_a_wait(self, tmp_path: Path) -> None:
        [(_, path, message, _)] = issues_of(tmp_path, "overlap-unlock.yaml", "by: overlap", "by: deal")
        assert (path, message) == ("stages[0].plays[0].steps[0].unlock.by", "Input should be 'overlap'")
        other = tmp_path / "b"
        other.mkdir()
        wait = "kind: wait_for_event\n            wait: {event: deal_accepted, timeout_days: 5, on_timeout: skip}"
        [(_, path, message, _)] = issues_of(other, "overlap-unlock.yaml", "kind: ae_intro_request", wait)
        assert (path, message) == (
            "stages[0].plays[0].steps[0]",
            "a wait_for_event step waits already: `unlock:` is for steps the partner works",
        )


class TestParallel:
    def test_a_parallel_play_loads_with_its_count(self) -> None:
        playbook = load_playbook(HERE / "parallel-launch.yaml")
        plays = {p.key: (p.parallel, p.complete_when) for p in playbook.stages[0].plays}
        assert plays == {"listing": (True, None), "proof": (True, 2), "wrap-up": (False, None)}

    @pytest.mark.parametrize(
        ("old", "new", "message"),
        [
            ("complete_when: 2", "complete_when: 4", "`complete_when: 4` but the play has 3 steps"),
            (
                "parallel: true\n        complete_when: 2",
                "complete_when: 2",
                "`complete_when` counts the steps of a parallel play: add `parallel: true`",
            ),
            (
                "key: one-pager\n",
                "key: one-pager\n            when: overlap.count > 0\n",
                "step one-pager: a parallel play opens its steps at once, so they cannot wait, be unlocked or have "
                "their own `when:` (put the condition on the play)",
            ),
        ],
    )
    def test_parallel_mistakes_name_the_play(self, tmp_path: Path, old: str, new: str, message: str) -> None:
        [(line, path, said, _)] = issues_of(tmp_path, "parallel-launch.yaml", old, new)
        assert said == message and path.startswith("stages[0].plays[") and line is not None
