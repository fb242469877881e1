"""Every step kind that names its own link page has one the API can serve."""

from __future__ import annotations

import importlib
import inspect

from playbooks.kinds import KINDS
from playbooks.model import StepKind


class TestKindPages:
    def test_every_named_page_module_serves_show_submit_and_done(self) -> None:
        named = {kind: spec.page for kind, spec in KINDS.items() if spec.page}
        assert set(named) == {StepKind.account_upload, StepKind.ae_intro_request}
        for kind, name in named.items():
            module = importlib.import_module(name)
            for handler in ("show", "submit", "done"):
                assert inspect.iscoroutinefunction(getattr(module, handler, None)), f"{kind.value}: {handler}"
