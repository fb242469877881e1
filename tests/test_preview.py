from __future__ import annotations

from collections import Counter

from typer.testing import CliRunner

from cli import app
from playbooks.kinds import clean_answers, simulated_answers
from playbooks.loader import CONTENT_DIR, load_playbook
from preview import render, run_preview


class TestSampleAnswers:
    def test_simulated_answers_pass_every_shipped_step_form(self) -> None:
        for folder in ("cloud-cosell-90d", "cosell-motion-21d", "quickstart-14d"):
            playbook = load_playbook(CONTENT_DIR / folder)
            for _, _, step in playbook.iter_steps():
                assert clean_answers(step, simulated_answers(step))[1] == {}, step.key


class TestPreview:
    async def test_prompt_late_and_silent_partners_play_out_as_expected(self) -> None:
        report = await run_preview(load_playbook(CONTENT_DIR / "quickstart-14d"), partners=3)
        outcomes = {
            name.split(" (")[1].split(",")[0]: (status, stage, score) for name, status, stage, score in report.outcomes
        }
        assert outcomes["prompt"] == ("completed", "acceleration", 80)  # ISV: gets the marketplace play too
        assert outcomes["silent"] == ("exited", "awareness", 0)
        assert outcomes["late"][0] in ("completed", "exited")
        totals: Counter[str] = sum(report.days.values(), Counter())
        assert totals["gate held"] == 1 and totals["escalations"] == 1 and totals["exits"] >= 1
        assert report.pm_emails == 2  # one escalation, one gate decision request
        assert 0 < max(report.run_events.values()) < 4096
        text = render(report)
        assert "Partner 3 (silent, MSP)" in text and "History per journey run" in text
        judged = {name.split(" (")[1].split(",")[0]: j for name, j in report.judged.items()}
        assert judged.keys() == {"prompt", "late", "silent"}
        prompt, silent = judged["prompt"], judged["silent"]
        assert prompt.values["behavior"] > silent.values["behavior"], report.judged
        assert prompt.values["gtm_readiness"] > silent.values["gtm_readiness"] == 0, report.judged
        assert silent.tier == 3 and silent.classification in ("at_risk", "not_now"), silent
        line = next(x for x in text.splitlines() if "Partner 3 (silent, MSP)" in x)
        assert f"| Tier 3 Baseline, {silent.classification} | gtm 0 " in line, line

    def test_cli_refuses_a_broken_playbook(self, tmp_path) -> None:  # type: ignore[no-untyped-def]
        (tmp_path / "playbook.yaml").write_text("id: x\nversion: 0\n")
        result = CliRunner().invoke(app, ["playbook", "preview", str(tmp_path)])
        assert result.exit_code == 1 and "version: Input should be greater than or equal to 1" in result.output


class TestNinetyDayWindow:
    async def test_shipped_playbook_full_window_with_mixed_partners(self) -> None:
        report = await run_preview(load_playbook(CONTENT_DIR / "cloud-cosell-90d"), partners=3)
        outcomes = {
            name.split(" (")[1].split(",")[0]: (status, stage, score) for name, status, stage, score in report.outcomes
        }
        assert outcomes["prompt"] == ("completed", "acceleration", 100)
        assert outcomes["silent"] == ("exited", "awareness", 0)  # held at the first gate until the window ended
        assert outcomes["late"][2] > 0
        totals: Counter[str] = sum(report.days.values(), Counter())
        assert totals["gate passed"] >= 3 and totals["gate held"] >= 1 and totals["escalations"] >= 1
        assert max(report.days) == 90  # the window closes on day 90
        assert max(report.run_events.values()) < 4096  # continue-as-new per stage keeps every run small


class TestSlowServer:
    def test_a_test_server_timeout_is_a_sentence_not_a_traceback(self, monkeypatch) -> None:  # type: ignore[no-untyped-def]
        from temporalio.service import RPCError, RPCStatusCode

        import preview

        async def times_out(*_args: object) -> None:
            raise RPCError("Timeout expired", RPCStatusCode.DEADLINE_EXCEEDED, b"")

        monkeypatch.setattr(preview, "_simulate", times_out)
        result = CliRunner().invoke(app, ["playbook", "preview", "quickstart-14d", "--partners", "1"])
        assert result.exit_code == 1, result.output
        assert "dry run failed: the Temporal test server running the dry run did not answer (Timeout expired)" in (
            result.output
        )
        # Handled: the command exits through typer (SystemExit 1), the RPCError never escapes it.
        assert isinstance(result.exception, SystemExit), repr(result.exception)


class TestPreviewWaits:
    async def test_the_awaited_event_happens_for_prompt_and_late_partners_and_never_for_silent_ones(self) -> None:
        report = await run_preview(load_playbook(CONTENT_DIR / "overlap-first-21d"), partners=3)
        branches = {name.split(" (")[1].split(",")[0]: b for name, b in report.branches.items()}
        assert branches == {  # the intro request waits for overlap (no simulated partner has any at first)
            "prompt": ["ae-intro-request: unlocked: overlap found", "deal-accepted: on_event"],
            "late": ["ae-intro-request: unlocked: overlap found", "deal-accepted: on_event"],
            "silent": ["ae-intro-request: on_timeout: escalate", "deal-accepted: on_timeout: escalate"],
        }, report.branches
        assert "Partner 3 (silent, MSP)" in render(report).split("Branches taken (")[1]
