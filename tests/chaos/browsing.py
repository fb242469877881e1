"""A partner's browser and a PM's dashboard poll, as a chaos test drives them: each keeps every status it
was answered with, and retries the way a person (or a client honouring Retry-After) would."""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field

import httpx

from domain.links import StepClaims
from settings import Settings
from tests.e2e.test_walking_skeleton import form_fields
from wiring import make_signer

ICP_ANSWERS = {"industry": "Healthcare", "company_size": "800", "trigger": "Exiting their data centre in 2027"}
RETRY_PAUSE = 0.25  # a test client does not wait the full Retry-After; it only records that it was told


def step_link(settings: Settings, cohort_id: str, partner_id: str, step_key: str = "icp") -> str:
    claims = StepClaims(journey_id=f"journey/{cohort_id}/{partner_id}", step_key=step_key)
    return f"{settings.public_base_url}/p/{make_signer(settings).sign_step(claims)}"


@dataclass
class Answers:
    """Every answer a client got: status counts, and whether each 503 said when to retry."""

    statuses: Counter[int] = field(default_factory=Counter)
    unavailable_without_retry_after: int = 0
    transport_errors: int = 0

    def saw(self, response: httpx.Response) -> None:
        self.statuses[response.status_code] += 1
        if response.status_code == 503 and "retry-after" not in response.headers:
            self.unavailable_without_retry_after += 1


class PartnerBrowser:
    def __init__(self, link: str, answers: Answers):
        self.link, self.answers = link, answers
        self.browser = httpx.AsyncClient(follow_redirects=False, timeout=30)
        self.outcome = ""

    async def _request(self, method: str, **kwargs: object) -> httpx.Response | None:
        try:
            response = await self.browser.request(method, self.link, **kwargs)  # type: ignore[arg-type]
        except httpx.TransportError:
            self.answers.transport_errors += 1  # the API itself is down (a test that kills it)
            return None
        self.answers.saw(response)
        return response

    async def open(self) -> dict[str, str]:
        """The step's form (its hidden CSRF and submission id), retried until the page shows; empty when
        the page says the step is already completed."""
        while True:
            page = await self._request("GET")
            if page is not None and page.status_code == 200:
                return {} if "already completed" in page.text else form_fields(page.text)
            await asyncio.sleep(RETRY_PAUSE)

    async def post(self, form: dict[str, str]) -> str:
        """The same form POSTed until it is answered for good: `done` (303 to the confirmation) or
        `already` (409: this step was completed before)."""
        while True:
            answer = await self._request("POST", data={**form, **ICP_ANSWERS})
            if answer is not None and answer.status_code == 303:
                self.outcome = "done"
                return self.outcome
            if answer is not None and answer.status_code == 409 and "already completed" in answer.text:
                self.outcome = "already"
                return self.outcome
            if answer is not None and answer.status_code not in (503,):
                raise AssertionError(f"unexpected answer {answer.status_code}: {answer.text[:500]}")
            await asyncio.sleep(RETRY_PAUSE)

    async def complete(self) -> str:
        """Open the link and submit; a page that already says the step is done is answer enough."""
        form = await self.open()
        if not form:
            self.outcome = "already"
            return self.outcome
        return await self.post(form)

    async def close(self) -> None:
        await self.browser.aclose()


async def poll_progress(pm: httpx.AsyncClient, cohort_id: str, answers: Answers, stop: asyncio.Event) -> dict:
    """The PM's progress page, read again and again until `stop`; the last good answer."""
    last: dict = {}
    while not stop.is_set():
        try:
            response = await pm.get(f"/api/v1/cohorts/{cohort_id}/progress")
        except httpx.TransportError:
            answers.transport_errors += 1
        else:
            answers.saw(response)
            if response.status_code == 200:
                last = response.json()
        await asyncio.sleep(RETRY_PAUSE)
    return last
