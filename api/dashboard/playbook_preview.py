"""A playbook step as a partner gets it, shown to a PM: the step page rendered by the partner pages' own code
(the kind's page, else the generic form page) and the invite email by the mail templates, around a sample
partner and journey that exist nowhere. Nothing is written; the page's form cannot be sent (form-action
'none'); the email's button opens this preview, never a signed link."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import cache

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from api.partner_pages.endpoints import form_page
from api.partner_pages.kind_pages import page_of
from db.models import Cohort, Journey, JourneyStep, Partner
from db.views.journeys import JourneyFacts, StepView
from mail.render import STEP_SUBJECTS, EmailRenderer, local_time
from playbooks.model import Playbook, StepKind

SAMPLE_PARTNER, SAMPLE_CONTACT, SAMPLE_PROGRAM, SAMPLE_TZ = "Sample Partner Ltd", "Sam Sample", "Your program", "UTC"
# The partner pages' private headers, and no form on a preview is ever sent anywhere.
PREVIEW_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'none'; "
    "frame-ancestors 'none'; base-uri 'none'"
)


def page_path(playbook: Playbook, step_key: str) -> str:
    return f"/playbooks/{playbook.id}/v/{playbook.version}/steps/{step_key}/page"


def sample_view(playbook: Playbook, step_key: str, now: datetime) -> StepView:
    """The step open for a sample partner, invited now, due `due_days` later (calendar days: a sample)."""
    step, play = playbook.step(step_key), playbook.play_of(step_key)
    stage = next(s for s, p, st in playbook.iter_steps() if st.key == step_key)
    partner = Partner(id="preview-partner", name=SAMPLE_PARTNER, type="ISV", timezone=SAMPLE_TZ, verticals=[])
    cohort = Cohort(
        id="preview-cohort",
        program_id="preview-program",
        name="Preview",
        playbook_id=playbook.id,
        playbook_version=playbook.version,
        starts_at=now,
        ends_at=now + timedelta(days=playbook.total_days),
        status="active",
    )
    journey = Journey(
        id="preview-journey",
        cohort_id=cohort.id,
        partner_id=partner.id,
        stage=stage.key.value,
        current_play=play.key,
        current_step=step.key,
        status="waiting",
        started_at=now,
        updated_at=now,
    )
    row = JourneyStep(
        journey_id=journey.id,
        step_key=step.key,
        stage=stage.key.value,
        play_key=play.key,
        status="invited",
        invited_at=now,
        due_at=now + timedelta(days=step.due_days),
        reminders_sent=0,
        completed_at=None,
        submission=None,
    )
    facts = JourneyFacts(journey=journey, partner=partner, cohort=cohort, program=None, playbook=playbook)
    return StepView(facts, row, play, step)


async def step_page(request: Request, session: AsyncSession, playbook: Playbook, step_key: str) -> Response:
    view = sample_view(playbook, step_key, datetime.now(UTC))
    own = page_of(view)
    answer = await own.show(request, session, view) if own else None
    response = answer if answer is not None else form_page(request, view, {}, {})
    response.headers["Content-Security-Policy"] = PREVIEW_CSP
    if "set-cookie" in response.headers:
        del response.headers["set-cookie"]  # the partner pages' CSRF cookie: nothing here is ever posted
    return response


@cache
def _renderer() -> EmailRenderer:
    return EmailRenderer()  # its environment compiles each template once


def email(playbook: Playbook, step_key: str, kind: str = "invite") -> tuple[str, str, str]:
    """Subject, HTML and text of the step's email as notify_step sends it, to the sample partner."""
    step, play = playbook.step(step_key), playbook.play_of(step_key)
    due = datetime.now(UTC) + timedelta(days=step.due_days)
    html, text = _renderer().render(
        "step",
        dict(
            subject=STEP_SUBJECTS[kind].format(step.email.subject),
            program_name=SAMPLE_PROGRAM,
            partner_name=SAMPLE_PARTNER,
            contact_name=SAMPLE_CONTACT,
            kind=kind,
            comment="",
            intro=step.email.intro,
            play_title=play.title,
            step_title=step.title,
            due_local=local_time(due, SAMPLE_TZ),
            link=page_path(playbook, step_key),  # this preview, not a signed link
        ),
    )
    return STEP_SUBJECTS[kind].format(step.email.subject), html, text


def email_page(playbook: Playbook, step_key: str) -> HTMLResponse:
    _, html, _ = email(playbook, step_key)
    response = HTMLResponse(html)
    response.headers["Content-Security-Policy"] = PREVIEW_CSP
    return response


def emails_nobody(playbook: Playbook, step_key: str) -> bool:
    return playbook.step(step_key).kind == StepKind.wait_for_event
