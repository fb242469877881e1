"""wait_for_event steps as the loader reads them: a timeout and a timeout branch are required, and every
mistake names file, line and path."""

from __future__ import annotations

from pathlib import Path

import pytest

from playbooks.loader import PlaybookError, load_playbook, reference

WAITS = Path(__file__).resolve().parents[1] / "workflows" / "playbooks" / "wait-deal-accepted.yaml"
WAIT = "wait: {event: deal_accepted, timeout_days: 10, on_timeout: escalate}"


def issues_of(tmp_path: Path, old: str, new: str) -> list[tuple[str, str, str]]:
    text = WAITS.read_text()
    assert old in text, old
    path = tmp_path / "playbook.yaml"
    path.write_text(text.replace(old, new, 1))
    with pytest.raises(PlaybookError) as err:
        load_playbook(path)
    lines = path.read_text().splitlines()
    return [(i.path, i.message, lines[(i.line or 1) - 1].strip()) for i in err.value.issues]


class TestWaitSteps:
    def test_a_wait_is_due_at_its_timeout_and_emails_nobody(self) -> None:
        step = load_playbook(WAITS).step("deal-accepted")
        assert step.wait is not None and (step.wait.timeout_days, step.due_days) == (10, 10)
        assert step.wait.on_event == "continue" and step.wait.on_timeout == "escalate"

    def test_a_wait_without_a_timeout_is_refused_where_it_is(self, tmp_path: Path) -> None:
        found = issues_of(tmp_path, WAIT, "wait: {event: deal_accepted, on_timeout: escalate}")
        assert found == [
            (
                "stages[0].plays[0].steps[0].wait.timeout_days",
                "a wait needs `timeout_days`: how long to wait before `on_timeout`",
                "wait: {event: deal_accepted, on_timeout: escalate}",
            )
        ]

    def test_a_wait_without_a_timeout_branch_or_with_an_unknown_event(self, tmp_path: Path) -> None:
        found = issues_of(tmp_path, WAIT, "wait: {event: deal_signed, timeout_days: 10}")
        assert {(p, m.split(",")[0]) for p, m, _ in found} == {
            ("stages[0].plays[0].steps[0].wait.event", "Input should be 'deal_registered'"),
            ("stages[0].plays[0].steps[0].wait.on_timeout", "Field required"),
        }

    def test_kind_specific_rules(self, tmp_path: Path) -> None:
        [(path, message, _)] = issues_of(tmp_path, "event: deal_accepted,", "event: tier_reached,")
        assert (path, message) == (
            "stages[0].plays[0].steps[0]",
            "`tier` is needed by a tier_reached wait, and only by one",
        )
        other = tmp_path / "b"
        other.mkdir()
        [(path, message, _)] = issues_of(other, "kind: acknowledge", f"kind: acknowledge\n            {WAIT}")
        assert (path, message) == (
            "stages[0].plays[0].steps[1]",
            "only a wait_for_event step may say `wait:`, not a acknowledge step",
        )

    def test_a_playbook_without_waits_hashes_as_before(self) -> None:
        good = Path(__file__).resolve().parents[2] / "playbooks" / "content" / "quickstart-14d"
        assert reference(load_playbook(good)).sha256 == QUICKSTART_SHA


# quickstart-14d v1's published hash from before `wait:` existed (main at 8dba20e)
QUICKSTART_SHA = "bfeabaf9bbd789c2625a22cb89a2debab82358fbe91127fc64e97240b6e82edd"
