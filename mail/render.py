"""Jinja2 rendering for emails: autoescaped HTML, plain text, StrictUndefined, one shared layout.

Playbook copy is inserted as data (escaped), never compiled as a template.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from domain.schedule import zone

TEMPLATES = Path(__file__).parent / "templates"
# A step email's subject is the playbook's, marked for a reminder or a send-back (the dashboard previews it too).
STEP_SUBJECTS = {"invite": "{}", "reminder": "Reminder: {}", "sent_back": "Please revise: {}"}


def local_time(moment: datetime, tz: str) -> str:
    """How every email states a moment: in the reader's time zone, which it names."""
    return f"{moment.astimezone(zone(tz)):%a %-d %b %Y, %H:%M} ({tz})"


class EmailRenderer:
    def __init__(self) -> None:
        self._env = Environment(
            loader=FileSystemLoader(TEMPLATES),
            undefined=StrictUndefined,
            autoescape=select_autoescape(["html"]),
            keep_trailing_newline=True,
        )
        self._env.filters["local"] = local_time

    def render(self, name: str, context: dict[str, Any]) -> tuple[str, str]:
        html = self._env.get_template(f"{name}.html").render(**context)
        text = self._env.get_template(f"{name}.txt").render(**context)
        return html, text
