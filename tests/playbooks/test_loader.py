from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli import app
from playbooks.loader import PlaybookError, canonical_json, load_playbook, reference, shipped_playbooks

# quickstart-14d as it shipped, its plays written inline (now in the library): the sample these tests break
GOOD = Path(__file__).resolve().parent / "data" / "quickstart-14d-v1"


def write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "playbook.yaml").write_text(text)
    return tmp_path


def broken(tmp_path: Path, old: str, new: str) -> Path:
    text = (GOOD / "playbook.yaml").read_text()
    assert old in text, old
    (tmp_path / "plays").mkdir()
    for md in (GOOD / "plays").iterdir():
        (tmp_path / "plays" / md.name).write_text(md.read_text())
    return write(tmp_path, text.replace(old, new, 1))


class TestShippedPlaybooks:
    def test_every_shipped_playbook_is_valid_and_complete(self) -> None:
        playbooks = {p.id: p for p in shipped_playbooks()}
        assert {"cloud-cosell-90d", "quickstart-14d"} <= set(playbooks)
        main = playbooks["cloud-cosell-90d"]
        assert [s.key.value for s in main.stages] == ["awareness", "activation", "acceleration"]
        assert main.total_days == 90
        kinds = {step.kind.value for _, _, step in main.iter_steps()}
        assert kinds == {"form", "acknowledge", "account_upload", "ae_intro_request", "deal_registration", "meeting"}
        assert all(play.content.strip() for stage in main.stages for play in stage.plays)

    def test_reference_hash_is_stable_and_content_sensitive(self, tmp_path: Path) -> None:
        first, again = reference(load_playbook(GOOD)), reference(load_playbook(GOOD))
        assert first == again
        edited = reference(load_playbook(broken(tmp_path, "Describe your ideal customer\n", "Describe your ICP\n")))
        assert edited.sha256 != first.sha256


class TestErrors:
    def test_bad_due_days_names_file_line_and_path(self, tmp_path: Path) -> None:
        folder = broken(
            tmp_path,
            "due_days: 3\n            signals: {repeatable_use_case",
            "due_days: 0\n            signals: {repeatable_use_case",
        )
        with pytest.raises(PlaybookError) as err:
            load_playbook(folder)
        [issue] = err.value.issues
        assert issue.path == "stages[1].plays[0].steps[0].due_days"
        assert issue.message == "Input should be greater than 0"
        lines = (folder / "playbook.yaml").read_text().splitlines()
        assert lines[issue.line - 1].strip() == "due_days: 0"
        assert str(issue).startswith(f"{folder / 'playbook.yaml'}:{issue.line}: stages[1]")

    def test_a_gate_on_an_unknown_signal_or_out_of_range_names_file_line_and_path(self, tmp_path: Path) -> None:
        folder = broken(
            tmp_path,
            "gate: {min_readiness: 20, on_fail: hold}",
            "gate:\n      min_readiness: 20\n      min_signals:\n        behaviour: 50\n        gtm_readiness: 160",
        )
        with pytest.raises(PlaybookError) as err:
            load_playbook(folder)
        lines = (folder / "playbook.yaml").read_text().splitlines()
        found = {(i.path, lines[i.line - 1].strip()) for i in err.value.issues}
        assert found == {
            ("stages[0].gate.min_signals.behaviour.[key]", "behaviour: 50"),
            ("stages[0].gate.min_signals.gtm_readiness", "gtm_readiness: 160"),
        }
        assert any("'field_advocacy'" in i.message for i in err.value.issues)

    def test_a_gate_without_signals_hashes_as_before_they_existed(self) -> None:
        quickstart = load_playbook(GOOD)
        with_signals = quickstart.model_validate(
            {**quickstart.model_dump(), "stages": [{**quickstart.stages[0].model_dump(), "gate": {"min_advocates": 1}}]}
        )
        assert "min_signals" not in canonical_json(quickstart) and "min_advocates" not in canonical_json(quickstart)
        assert '"min_advocates":1' in canonical_json(with_signals)

    def test_every_problem_is_reported_not_just_the_first(self, tmp_path: Path) -> None:
        folder = broken(tmp_path, "kind: acknowledge", "kind: telepathy")
        text = (folder / "playbook.yaml").read_text().replace("sales_moment: prospecting", "sales_moment: vibes")
        write(folder, text)
        with pytest.raises(PlaybookError) as err:
            load_playbook(folder)
        paths = {i.path for i in err.value.issues}
        assert paths == {"stages[0].plays[0].steps[1].kind", "stages[1].plays[0].sales_moment"}

    def test_yaml_syntax_error_has_a_line(self, tmp_path: Path) -> None:
        with pytest.raises(PlaybookError) as err:
            load_playbook(write(tmp_path, "id: x\nstages:\n  - key: [unclosed\n"))
        assert err.value.issues[0].line is not None
        assert "invalid YAML" in err.value.issues[0].message

    def test_missing_content_file_and_escape_attempt(self, tmp_path: Path) -> None:
        folder = broken(tmp_path, "plays/first-account.md", "plays/missing.md")
        with pytest.raises(PlaybookError, match=r"stages\[1\]\.plays\[0\]\.content_file: file not found"):
            load_playbook(folder)
        folder2 = tmp_path / "b"
        folder2.mkdir()
        escape = broken(folder2, "plays/first-account.md", "../../../etc/passwd")
        with pytest.raises(PlaybookError, match="inside the playbook folder"):
            load_playbook(escape)

    def test_duplicate_step_keys_and_stage_order(self, tmp_path: Path) -> None:
        folder = broken(tmp_path, "key: target-account", "key: icp")
        with pytest.raises(PlaybookError, match="step key 'icp' is used twice"):
            load_playbook(folder)

    def test_unknown_fields_are_refused(self, tmp_path: Path) -> None:
        folder = broken(tmp_path, "stall_threshold_days: 3", "stall_treshold_days: 3")
        with pytest.raises(PlaybookError) as err:
            load_playbook(folder)
        assert err.value.issues[0].path == "stall_treshold_days"
        assert err.value.issues[0].message == "Extra inputs are not permitted"

    def test_a_duplicate_key_names_both_lines_instead_of_keeping_the_last(self, tmp_path: Path) -> None:
        folder = broken(tmp_path, "version: 1\n", "version: 1\nversion: 2\n")
        with pytest.raises(PlaybookError) as err:
            load_playbook(folder)
        [issue] = err.value.issues
        assert (issue.line, issue.path) == (3, "version") and "first on line 2" in issue.message
        nested = tmp_path / "nested"
        nested.mkdir()
        folder = broken(nested, "kind: acknowledge", "kind: acknowledge\n            kind: upload")
        with pytest.raises(PlaybookError, match=r"playbook.yaml:\d+: stages\[0\]\.plays\[0\]\.steps\[1\]\.kind"):
            load_playbook(folder)

    def test_a_content_file_that_is_not_utf8_is_a_file_error(self, tmp_path: Path) -> None:
        folder = broken(tmp_path, "version: 1", "version: 1")
        (folder / "plays" / "first-account.md").write_bytes("# Caf\u00e9 au lait\n".encode("cp1252"))
        with pytest.raises(PlaybookError) as err:
            load_playbook(folder)
        [issue] = err.value.issues
        assert issue.line and issue.path == "stages[1].plays[0].content_file"
        assert issue.message.startswith("plays/first-account.md is not UTF-8 (byte 0xe9")

    def test_the_version_fits_the_snapshot_tables(self, tmp_path: Path) -> None:
        folder = broken(tmp_path, "version: 1", "version: 99999999999999999999999999999")
        with pytest.raises(PlaybookError) as err:
            load_playbook(folder)
        [issue] = err.value.issues
        assert (issue.line, issue.path) == (2, "version") and "less than or equal to 2147483647" in issue.message


class TestValidateCommand:
    def test_valid_playbook_exits_zero(self) -> None:
        result = CliRunner().invoke(app, ["playbook", "validate", str(GOOD)])
        assert result.exit_code == 0, result.output
        assert "ok: quickstart-14d v1: 3 stages, 4 steps, 14 days" in result.output

    def test_broken_playbook_exits_nonzero_with_messages(self, tmp_path: Path) -> None:
        folder = broken(tmp_path, "due_days: 2", "due_days: -1")
        result = CliRunner().invoke(app, ["playbook", "validate", str(folder)])
        assert result.exit_code == 1
        assert "stages[0].plays[0].steps[1].due_days: Input should be greater than 0" in result.output
        assert "1 problem(s) found" in result.output
