"""A play's `seller:` block (its moment in a live sales call, for the AE's seller page): the loader refuses a
malformed one with file:line:path, a playbook without one hashes as before it existed, and the shipped
playbooks' intro and deal plays have one, which the seller links pick."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from db.views.seller import seller_play
from playbooks import play_library
from playbooks.loader import CONTENT_DIR, PlaybookError, canonical_json, load_playbook

MOTION = CONTENT_DIR / "cosell-motion-21d"
CLOUD = Path(__file__).parent / "data" / "cloud-cosell-90d-v4"  # as shipped, its plays inline: the sample to break
SELLER = "        seller:\n          bring_in_when: >-\n"
PLAY = "stages[1].plays[3].seller"  # cloud-cosell-90d's proven-use-case-field-intro


def edited(tmp_path: Path, old: str, new: str) -> Path:
    folder = tmp_path / "cloud-cosell-90d"
    shutil.copytree(CLOUD, folder)
    text = (folder / "playbook.yaml").read_text()
    assert text.count(old) >= 1, old
    (folder / "playbook.yaml").write_text(text.replace(old, new, 1))
    return folder


def issues_of(folder: Path) -> dict[str, str]:
    """Each problem's path -> the text of the line it names."""
    with pytest.raises(PlaybookError) as err:
        load_playbook(folder)
    lines = (folder / "playbook.yaml").read_text().splitlines()
    for issue in err.value.issues:
        assert str(issue).startswith(f"{folder / 'playbook.yaml'}:{issue.line}: {issue.path}: "), str(issue)
    return {i.path: lines[i.line - 1].strip() for i in err.value.issues}


class TestMalformedSellerBlock:
    def test_a_missing_part_and_an_unknown_key_name_file_line_and_path(self, tmp_path: Path) -> None:
        folder = edited(
            tmp_path, SELLER, "        seller:\n          talk_track: Say hi\n          bring_in_when: >-\n"
        )
        text = (folder / "playbook.yaml").read_text()
        text = text.replace(
            "          problem: >-\n            The buyer doubts",
            "          issue: >-\n            The buyer doubts",
            1,
        )
        (folder / "playbook.yaml").write_text(text)
        with pytest.raises(PlaybookError) as err:
            load_playbook(folder)
        assert "a seller block needs `problem`: the buyer's problem the partner solves at that moment" in str(err.value)
        found = issues_of(folder)
        assert found == {  # a missing key is reported at the block's first line
            f"{PLAY}.problem": "talk_track: Say hi",
            f"{PLAY}.talk_track": "talk_track: Say hi",
            f"{PLAY}.issue": "issue: >-",
        }

    def test_an_empty_moment_or_a_list_instead_of_a_block_is_refused(self, tmp_path: Path) -> None:
        empty = edited(tmp_path / "a", SELLER, "        seller:\n          bring_in_when: ''\n          old: >-\n")
        found = issues_of(empty)
        assert found[f"{PLAY}.bring_in_when"] == "bring_in_when: ''"
        listed = edited(
            tmp_path / "b",
            "        content_file: plays/first-co-sell-deal.md\n        seller:\n",
            ("        content_file: plays/first-co-sell-deal.md\n        seller: [when, problem]\n        old:\n"),
        )
        assert issues_of(listed)["stages[2].plays[0].seller"] == "seller: [when, problem]"

    def test_in_a_library_play_the_library_file_is_named(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        shutil.copytree(play_library.LIBRARY_DIR, tmp_path / "library")
        monkeypatch.setattr(play_library, "LIBRARY_DIR", tmp_path / "library")
        play = tmp_path / "library" / "ae-introductions" / "v3" / "play.yaml"
        text = play.read_text()
        play.write_text(text.replace("  say: >-\n", "  says: >-\n", 1))
        with pytest.raises(PlaybookError) as err:
            load_playbook(MOTION)
        lines = play.read_text().splitlines()
        found = {(i.file, i.path, lines[i.line - 1].strip()) for i in err.value.issues if i.line}
        assert found == {(str(play), "seller.say", "bring_in_when: >-"), (str(play), "seller.says", "says: >-")}
        assert "seller.say: a seller block needs `say`: a line the AE can say" in str(err.value)  # as in a playbook


class TestShippedSellerMoments:
    def test_a_playbook_without_seller_blocks_hashes_as_before_they_existed(self) -> None:
        quickstart = load_playbook(CONTENT_DIR / "quickstart-14d")
        assert all(p.seller is None for s in quickstart.stages for p in s.plays)
        assert '"seller"' not in canonical_json(quickstart)
        motion = load_playbook(MOTION)
        assert '"seller"' in canonical_json(motion) and motion.version == 2  # new content, new version

    def test_intro_and_deal_links_pick_the_play_of_their_moment(self) -> None:
        motion, cloud = load_playbook(MOTION), load_playbook(CONTENT_DIR / "cloud-cosell-90d")
        assert [p.key for s in motion.stages for p in s.plays if p.seller] == ["ae-introductions", "first-co-sell-deal"]
        assert seller_play(motion, step_key="ae-intro-request").key == "ae-introductions"  # type: ignore[union-attr]
        assert seller_play(motion, deal=True).key == "first-co-sell-deal"  # type: ignore[union-attr]
        # cloud-cosell-90d's second intro request sits in a play with no seller block: the intro play's moment
        assert seller_play(cloud, step_key="second-ae-intro").key == "proven-use-case-field-intro"  # type: ignore[union-attr]
        assert seller_play(load_playbook(CONTENT_DIR / "quickstart-14d")) is None
