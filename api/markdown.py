"""Playbook Markdown -> sanitised HTML. Authored content is data: no raw HTML, no templating."""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

_md = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")


def render(text: str) -> Markup:
    html = nh3.clean(_md.render(text or ""), link_rel="noopener noreferrer nofollow")
    return Markup(html)  # noqa: S704 - sanitised by nh3 just above
