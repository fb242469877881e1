"""The play library: shipped versions publish exactly as before their plays moved into it; references are
resolved with their parameters, and every mistake is refused with file, line and path; a library version
change reads as such in the diff of two versions."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from playbooks import play_library
from playbooks.diff import compare
from playbooks.loader import (
    CONTENT_DIR,
    PlaybookError,
    PlaybookIssue,
    canonical_json,
    load_playbook,
    reference,
    shipped_playbooks,
)
from playbooks.model import Playbook

# Recorded from main before their plays moved into the library: at 8a0a457; cloud-cosell-90d v4 and
# cosell-by-type-35d v1 at 4e1d3fb.
PUBLISHED = Path(__file__).parent / "data" / "published"
OVERLAP = CONTENT_DIR / "overlap-first-21d" / "playbook.yaml"


def test_every_shipped_version_resolves_to_the_snapshot_published_before_the_library(tmp_path: Path) -> None:
    shipped = {(p.id, p.version): p for p in shipped_playbooks()}
    recorded = {(f.stem.rsplit("-v", 1)[0], int(f.stem.rsplit("-v", 1)[1])): f for f in PUBLISHED.glob("*.json")}
    for (playbook_id, version), file in recorded.items():
        before, now = json.loads(file.read_text()), shipped.get((playbook_id, version))
        if now is None:  # replaced in content/ by a newer version since: its YAML is kept in data/ as it shipped
            now = _as_shipped(tmp_path, playbook_id, version)
        assert json.loads(canonical_json(now)) == before["canonical"], playbook_id
        assert reference(now).sha256 == before["sha256"], playbook_id
    for (playbook_id, version), now in shipped.items():  # as it was written before its plays moved
        if (inline := PUBLISHED.parent / f"{playbook_id}-v{version}").is_dir():
            assert reference(load_playbook(inline)).sha256 == reference(now).sha256, playbook_id
    pins = {p.id: [str(pl.library) for s in p.stages for pl in s.plays if pl.library] for p in shipped.values()}
    assert pins["cosell-motion-21d"] == ["joint-account-mapping@1", "ae-introductions@3", "first-co-sell-deal@3"]
    assert pins["overlap-first-21d"] == [
        "joint-account-mapping@1",
        "ae-introductions@2 (overlap_wait_days=5)",
        "first-co-sell-deal@2 (acceptance_wait_days=7)",
    ]
    assert pins["quickstart-14d"] == ["icp-basics@1", "first-account@1", "marketplace-listing@1"]
    assert pins["cloud-cosell-90d"] == [  # its own editions of the two plays cosell-motion-21d shares
        "kickoff-and-rules@1",
        "icp-and-value-prop@1",
        "joint-account-mapping@2",
        "marketplace-listing-private-offer@1",
        "packaged-services-offer@1",
        "referral-introduction-motion@1",
        "proven-use-case-field-intro@1",
        "first-co-sell-deal@4",
        "joint-pipeline-review@1",
        "repeat-and-reference@1",
    ]
    assert pins["cosell-by-type-35d"][:2] == ["joint-account-mapping@1", "cosell-kit@1"]
    inline = [(p.id, pl.key) for p in shipped.values() for s in p.stages for pl in s.plays if not pl.library]
    assert inline == []  # every shipped play is written once, in the library


def _as_shipped(tmp_path: Path, playbook_id: str, version: int) -> Playbook:
    folder = tmp_path / f"{playbook_id}-v{version}"
    shutil.copytree(PUBLISHED.parent / folder.name, folder)  # with the content files it shipped with, if any
    return load_playbook(folder)


def edited(tmp_path: Path, old: str, new: str, source: Path = OVERLAP) -> Path:
    text = source.read_text()
    assert old in text, old
    (tmp_path / "playbook.yaml").write_text(text.replace(old, new, 1))
    return tmp_path / "playbook.yaml"


def refused(path: Path) -> PlaybookIssue:
    with pytest.raises(PlaybookError) as err:
        load_playbook(path)
    [issue] = err.value.issues
    return issue


def line_of(issue: PlaybookIssue) -> str:
    assert issue.line is not None
    return Path(issue.file).read_text().splitlines()[issue.line - 1]


INTRO = "{play: ae-introductions, version: 2, parameters: {overlap_wait_days: 5}}"


class TestReferences:
    def test_a_version_that_does_not_exist(self, tmp_path: Path) -> None:
        issue = refused(edited(tmp_path, INTRO, INTRO.replace("version: 2", "version: 9")))
        assert (issue.path, issue.message) == (
            "stages[1].plays[0].library.version",
            "library play ae-introductions has no version 9 (it has 1, 2, 3)",
        )
        assert issue.file == str(tmp_path / "playbook.yaml") and "version: 9" in line_of(issue)

    def test_a_play_that_does_not_exist(self, tmp_path: Path) -> None:
        issue = refused(edited(tmp_path, INTRO, INTRO.replace("ae-introductions", "ae-intros")))
        assert issue.path == "stages[1].plays[0].library.play" and "ae-intros" in line_of(issue)
        assert issue.message.startswith("no library play 'ae-intros'; the library has ae-introductions,")

    def test_an_unknown_and_a_missing_parameter(self, tmp_path: Path) -> None:
        unknown = refused(edited(tmp_path, "overlap_wait_days: 5}", "overlap_wait_days: 5, vertical: Retail}"))
        assert unknown.path == "stages[1].plays[0].library.parameters.vertical"
        assert unknown.message == "library play ae-introductions@2 has no parameter 'vertical' (overlap_wait_days)"
        missing = refused(edited(tmp_path, ", parameters: {overlap_wait_days: 5}", ""))
        assert missing.path == "stages[1].plays[0].library.parameters" and "ae-introductions" in line_of(missing)
        assert missing.message == (
            "library play ae-introductions@2 needs parameters: "
            "overlap_wait_days (days to wait for overlap to appear before the PM is told)"
        )

    def test_a_reference_is_used_as_written(self, tmp_path: Path) -> None:
        issue = refused(edited(tmp_path, f"- library: {INTRO}", f"- library: {INTRO}\n        title: Mine"))
        assert (issue.path, line_of(issue).strip()) == ("stages[1].plays[0].title", "title: Mine")

    def test_a_library_version_change_reads_as_such_in_the_diff(self, tmp_path: Path) -> None:
        v3 = load_playbook(OVERLAP)
        text = OVERLAP.read_text().replace("version: 3\n", "version: 4\n", 1)
        (tmp_path / "playbook.yaml").write_text(text.replace(INTRO, "{play: ae-introductions, version: 1}"))
        v4 = load_playbook(tmp_path)
        changes = {(c.what, c.key, c.change): c for c in compare(v3, v4)}
        play = changes[("play", "ae-introductions", "changed")]
        assert [(s.label, s.before, s.after) for s in play.settings] == [
            ("library play", "ae-introductions@2 (overlap_wait_days=5)", "ae-introductions@1")
        ]
        assert ("step", "account-list-refresh", "removed") in changes  # what v1 of the play does not have


LIBRARY_PLAY = """\
version: 1
parameters:
  vertical: the industry the partner sells into
  due: days the partner has for the upload
title: "{{ vertical }} account mapping"
sales_moment: prospecting
summary: Map your {{ vertical }} accounts with our field.
content_file: plays/mapping.md
steps:
  - key: upload
    kind: account_upload
    title: Upload your {{ vertical }} accounts
    due_days: "{{ due }}"
    email: {subject: "Your {{ vertical }} accounts", intro: Upload them.}
"""
PLAYBOOK = """\
id: library-test
version: 1
title: Library test
stages:
  - key: awareness
    title: Map
    duration_days: 7
    plays:
      - library: {play: mapping, version: 1, parameters: {vertical: Healthcare, due: 4}}
"""


@pytest.fixture
def library(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "library" / "mapping" / "v1"
    (folder / "plays").mkdir(parents=True)
    (folder / "play.yaml").write_text(LIBRARY_PLAY)
    (folder / "plays" / "mapping.md").write_text("# Mapping in {{ vertical }}\n\nBring {{ vertical | upper }}.\n")
    (tmp_path / "playbook.yaml").write_text(PLAYBOOK)
    monkeypatch.setattr(play_library, "LIBRARY_DIR", tmp_path / "library")
    return folder


class TestWritingAPlay:
    def test_parameters_are_substituted_and_the_pin_recorded(self, library: Path) -> None:
        [play] = load_playbook(library.parents[2]).stages[0].plays
        assert (play.key, play.title, play.summary) == (
            "mapping",
            "Healthcare account mapping",
            "Map your Healthcare accounts with our field.",
        )
        assert (play.steps[0].title, play.steps[0].due_days) == ("Upload your Healthcare accounts", 4)
        assert play.content == "# Mapping in Healthcare\n\nBring HEALTHCARE.\n"
        assert play.library is not None and play.library.model_dump() == {
            "play": "mapping",
            "version": 1,
            "parameters": {"vertical": "Healthcare", "due": 4},
        }

    def test_a_placeholder_not_declared(self, library: Path) -> None:
        (library / "play.yaml").write_text(LIBRARY_PLAY.replace("Upload your {{ vertical }}", "Upload {{ region }}"))
        issue = refused(library.parents[2])
        assert (issue.file, issue.path) == (str(library / "play.yaml"), "steps[0].title")
        assert issue.message == "placeholder 'region' is not declared under `parameters:`"
        assert "{{ region }}" in line_of(issue)
        (library / "play.yaml").write_text(LIBRARY_PLAY)
        (library / "plays" / "mapping.md").write_text("# Mapping\n\nIn {{ market }}.\n")
        issue = refused(library.parents[2])
        assert (issue.file, issue.line) == (str(library / "plays" / "mapping.md"), 3)

    def test_templates_reach_no_python(self, library: Path) -> None:
        (library / "plays" / "mapping.md").write_text("{{ vertical.__class__.__mro__ }} {{ due }}\n")
        issue = refused(library.parents[2])
        assert issue.file.endswith("mapping.md") and "unsafe" in issue.message

    def test_a_parameter_declared_but_never_used(self, library: Path) -> None:
        (library / "play.yaml").write_text(LIBRARY_PLAY.replace('"{{ due }}"', "4"))
        issue = refused(library.parents[2])
        assert (issue.path, issue.message) == ("parameters.due", "declared but never used")

    def test_a_mistake_in_the_play_is_reported_in_its_file(self, library: Path) -> None:
        (library.parents[2] / "playbook.yaml").write_text(PLAYBOOK.replace("due: 4", "due: 0"))
        issue = refused(library.parents[2])
        assert (issue.file, issue.path, issue.message) == (
            str(library / "play.yaml"),
            "steps[0].due_days",
            "Input should be greater than 0",
        )
        assert "{{ due }}" in line_of(issue)

    def test_the_version_inside_must_be_its_folders(self, library: Path) -> None:
        (library / "play.yaml").write_text(LIBRARY_PLAY.replace("version: 1", "version: 2"))
        issue = refused(library.parents[2])
        assert (issue.path, line_of(issue)) == ("version", "version: 2")
