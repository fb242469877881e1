"""What the co-sell motion test does the way people do it: read the dev inbox, open a link, submit a form
with the CSRF field the page set, and read what the page says back. Plain HTTP, no browser."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any

import httpx

from tests.e2e.test_walking_skeleton import form_fields, until


@dataclass
class Inbox:
    """The dev inbox as the PM's API client reads it."""

    pm: httpx.AsyncClient

    async def messages(self, kind: str, to: str | None = None, subject: str | None = None) -> list[dict[str, Any]]:
        found = [m for m in (await self.pm.get("/dev/inbox/messages")).json() if m["kind"] == kind]
        return [
            m
            for m in found
            if (to is None or m["to"].endswith(f"<{to}>")) and (subject is None or m["subject"] == subject)
        ]

    async def one(self, kind: str, to: str | None = None, subject: str | None = None) -> dict[str, Any]:
        """Wait for exactly one such email; a second one is a failure, not something to pick from."""

        async def arrived() -> list[dict[str, Any]]:
            return await self.messages(kind, to, subject)

        found = await until(arrived)
        assert len(found) == 1, f"expected one {kind} email, got {[m['subject'] for m in found]}"
        return found[0]


def browser(base: str) -> httpx.AsyncClient:
    """A person's browser: keeps cookies, follows redirects, sends the Origin a same-origin form POST carries."""
    return httpx.AsyncClient(headers={"Origin": base}, follow_redirects=True, timeout=30)


async def submit(client: httpx.AsyncClient, link: str, data: dict[str, Any], **kwargs: Any) -> httpx.Response:
    """GET the page (it sets the CSRF cookie and hidden fields), then POST the form with them."""
    page = await client.get(link)
    assert page.status_code == 200, f"{link}: {page.status_code} {page.text[:300]}"
    return await client.post(link, data={**form_fields(page.text), **data}, **kwargs)


def text_of(page: str) -> str:
    """The page's visible text, whitespace collapsed: what a reader sees, not how the template spells it."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def table_rows(page: str) -> list[list[str]]:
    return [
        [text_of(cell) for cell in re.findall(r"<td>(.*?)</td>", row, re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", page, re.S)
        if "<td>" in row
    ]


def checkbox_for(page: str, name: str, label: str) -> str:
    """The value of the checkbox whose label starts with `label`."""
    for value, rest in re.findall(rf'<input type="checkbox" name="{name}" value="([^"]+)"[^>]*>([^<]*)', page):
        if html.unescape(rest).strip().startswith(label):
            return value
    raise AssertionError(f"no {name} checkbox labelled {label!r}")
