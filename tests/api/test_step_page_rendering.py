"""Nothing a playbook author or a partner writes is executed: not as a template, not as HTML, not as script."""

from __future__ import annotations

from datetime import UTC, datetime
from html.parser import HTMLParser
from types import SimpleNamespace

from api import markdown
from api.link_pages.pages import templates
from playbooks.model import Play, Step

HOSTILE = (
    "{{ 7*7 }} {% for x in range(3) %}loop{% endfor %} {{ config }}\n\n"
    "<script>alert(1)</script>\n\n"
    "[click me](javascript:alert(1)) <img src=x onerror=alert(1)>\n\n"
    "## What good looks like\n\n- **One** industry"
)


class Elements(HTMLParser):
    """What a browser would build: the tags and attributes, not the text that merely looks like them."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def unsafe(self) -> list[str]:
        found = []
        for tag, attrs in self.tags:
            if tag in ("script", "img", "iframe", "object", "embed"):
                found.append(tag)
            for name, value in attrs.items():
                if name.startswith("on") or (value or "").strip().lower().startswith("javascript:"):
                    found.append(f"{tag} {name}={value}")
        return found


def page() -> SimpleNamespace:
    step = Step.model_validate(
        {
            "key": "icp",
            "kind": "form",
            "title": "Title {{ 6*7 }} <b>bold</b>",
            "due_days": 3,
            "instructions": HOSTILE,
            "email": {"subject": "s", "intro": "i"},
            "fields": [
                {"key": "industry", "label": "<script>label</script>", "type": "text", "help": "{{ 1+1 }}"},
                {"key": "size", "label": "Size", "type": "select", "options": ["<i>A</i>", "B"]},
            ],
        }
    )
    play = Play.model_validate(
        {
            "key": "p",
            "title": "Play",
            "sales_moment": "positioning",
            "summary": "{{ 2+2 }}",
            "content": HOSTILE,
            "steps": [step],
        }
    )
    # A fixed due date: the page prints it, and a clock reading such as 12:49 would contain the "49" the
    # template-injection assertions must not find.
    due = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
    return SimpleNamespace(
        step=step,
        play=play,
        partner=SimpleNamespace(name='<img src=x onerror="alert(1)">', timezone="UTC"),
        step_row=SimpleNamespace(due_at=due),
    )


def render(**values: object) -> str:
    context = {
        "page": page(),
        "values": {},
        "errors": {},
        "csrf": "c",
        "submission_id": "s",
        "sent_back": None,
        **values,
    }
    return templates.get_template("step.html").render(context)


class TestStepPageRendering:
    def test_playbook_text_is_data_not_a_template_nor_html(self) -> None:
        html = render()
        assert Elements(html).unsafe() == []
        assert "{{ 7*7 }}" in html and "49" not in html and "loop loop" not in html and "{{ 6*7 }}" in html
        assert "{{ 2+2 }}" in html and "{{ 1+1 }}" in html
        assert "<h2>What good looks like</h2>" in html and "<strong>One</strong>" in html
        assert "&lt;b&gt;bold&lt;/b&gt;" in html and "&lt;script&gt;label&lt;/script&gt;" in html

    def test_what_a_partner_typed_comes_back_escaped(self) -> None:
        typed = '"><script>alert(1)</script><img src=x onerror=alert(1)>'
        html = render(values={"industry": typed, "size": typed}, errors={"industry": "is required"})
        assert Elements(html).unsafe() == []
        assert "&#34;&gt;&lt;script&gt;" in html

    def test_the_pms_send_back_comment_comes_back_escaped(self) -> None:
        comment = '"><script>alert(1)</script>Name a <b>buyer</b>'
        html = render(sent_back=SimpleNamespace(comment=comment, previous={}))
        assert Elements(html).unsafe() == [] and "Sent back for a revision" in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;Name a &lt;b&gt;buyer&lt;/b&gt;" in html

    def test_markdown_is_sanitised_and_keeps_formatting(self) -> None:
        out = str(
            markdown.render(HOSTILE + '\n\n<a href="https://x.example" onclick="x()">raw</a> [ok](https://ok.example)')
        )
        assert Elements(out).unsafe() == []
        assert '<a href="https://ok.example" rel="noopener noreferrer nofollow">ok</a>' in out
