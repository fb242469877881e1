"""The AE's answer to an intro request behind a signed link: /ae/intro/<token>.

Same rules as every link page: a GET only shows (a mail scanner prefetching the digest's "Accept"
link must not accept anything; `?answer=` only preselects), a CSRF-checked same-origin POST answers
through the AE's batch workflow (a synchronous, truthful Update), then redirects to a token-free page.
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client

from api.deps import SessionDep, SettingsDep, SignerDep, TemporalDep, signer_of
from api.link_pages import csrf
from api.link_pages.pages import busy, forbidden, message, not_found, redirect_with_done_cookie, render_page
from api.link_pages.rate_limit import rate_limited
from api.link_pages.updates import submit_update
from db.views import seller as seller_links
from db.views.intros import IntroView, intro_view
from domain.links import DONE_MAX_AGE, IntroClaims, LinkExpired, LinkInvalid
from workflows.intro_batch.messages import IntroAnswer
from workflows.intro_batch.workflow import IntroBatchWorkflow

PATH = "/ae/intro"
router = APIRouter(prefix=PATH, tags=["AE pages"], include_in_schema=False, dependencies=[Depends(rate_limited)])
DONE_COOKIE = "cosell_intro_done"
ANSWERS = {"accept": "Accept", "not_now": "Not now", "decline": "Decline"}
NOTE_MAX = 2000


def _already(request: Request, view: IntroView, status: int = 200, seller: str = "") -> HTMLResponse:
    return render_page(request, "intro_already.html", status, view=view, answers=ANSWERS, seller=seller)


def _closed(request: Request, view: IntroView) -> HTMLResponse:
    return message(
        request,
        410,
        "This request is closed",
        f"The link to answer {view.partner.name}'s request for {view.account.name} is no longer valid. "
        "Reply to the email and the program manager will pass your answer on.",
    )


async def _view(
    request: Request, session: AsyncSession, token: str, *, allow_expired: bool
) -> IntroView | HTMLResponse:
    """The request the token names, for the AE it names; one 404 for anything we can't vouch for."""
    try:
        claims = signer_of(request).verify_intro(token)
    except LinkExpired as exc:
        if not allow_expired or not isinstance(exc.claims, IntroClaims):
            return not_found(request)
        claims = exc.claims
        expired = True
    except LinkInvalid:
        return not_found(request)
    else:
        expired = False
    view = await intro_view(session, claims.request_id)
    if view is None or view.request.ae_id != claims.ae_id:
        return not_found(request)
    if expired:
        return _already(request, view) if view.answered else _closed(request, view)
    return view


def _form(
    request: Request,
    view: IntroView,
    values: dict[str, str],
    errors: dict[str, str],
    status: int = 200,
    seller: str = "",
) -> HTMLResponse:
    return csrf.render_form(
        request,
        "intro_answer.html",
        status,
        PATH,
        view=view,
        values=values,
        errors=errors,
        answers=ANSWERS,
        note_max=NOTE_MAX,
        submission_id=values.get("submission_id") or str(uuid.uuid4()),
        seller=seller,
    )


@router.get("/done", response_class=HTMLResponse)
async def done(request: Request, session: SessionDep, signer: SignerDep) -> HTMLResponse:
    try:
        claims = signer.verify_intro_done(request.cookies.get(DONE_COOKIE, ""))
    except (LinkInvalid, LinkExpired):
        claims = None
    view = await intro_view(session, claims.request_id) if claims is not None else None
    if view is not None and claims is not None and view.request.ae_id != claims.ae_id:
        view = None
    if view is None or not view.answered:
        return message(
            request,
            200,
            "Nothing to show here",
            "This confirmation is only shown right after you answer. To see the request again, "
            "open the link from your email.",
        )
    return render_page(request, "intro_done.html", 200, view=view)


@router.get("/{token}", response_class=HTMLResponse)
async def show(token: str, request: Request, session: SessionDep) -> HTMLResponse:
    view = await _view(request, session, token, allow_expired=True)
    if isinstance(view, HTMLResponse):
        return view
    request_ = view.request
    claims = await seller_links.claims_for(
        session, request_.journey_id, view.ae.id, view.account.id, step_key=request_.step_key
    )
    seller = f"{seller_links.PATH}/{signer_of(request).sign_seller(claims)}" if claims else ""
    if view.answered:
        return _already(request, view, seller=seller)
    preselect = request.query_params.get("answer", "")
    return _form(request, view, {"answer": preselect if preselect in ANSWERS else ""}, {}, seller=seller)


def parse(form: dict[str, str]) -> tuple[IntroAnswer | None, dict[str, str], dict[str, str]]:
    values = {k: form.get(k, "").strip() for k in ("answer", "note", "submission_id")}
    errors: dict[str, str] = {}
    if values["answer"] not in ANSWERS:
        errors["answer"] = "choose accept, not now or decline"
    if len(values["note"]) > NOTE_MAX:
        errors["note"] = f"must be at most {NOTE_MAX} characters (you wrote {len(values['note'])})"
    if errors:
        return None, values, errors
    return IntroAnswer(request_id="", answer=values["answer"], note=values["note"]), values, {}  # type: ignore[arg-type]


@router.post("/{token}", response_class=HTMLResponse)
async def submit(
    token: str, request: Request, session: SessionDep, temporal: TemporalDep, settings: SettingsDep, signer: SignerDep
) -> Response:
    form = await request.form()
    if not csrf.verify(request, str(form.get(csrf.CSRF_FIELD, "")), signer, settings.public_base_url):
        return forbidden(request)
    view = await _view(request, session, token, allow_expired=True)
    if isinstance(view, HTMLResponse):
        return view
    if view.answered:
        return _already(request, view, 409)
    answer, values, errors = parse({k: str(v) for k, v in form.items()})
    if answer is None:
        return _form(request, view, values, errors, 422)
    answer = answer.model_copy(update={"request_id": view.request.id})
    outcome = await _answer(temporal, view, answer, values["submission_id"] or str(uuid.uuid4()))
    if outcome == "done":
        done = signer.sign_intro_done(IntroClaims(request_id=view.request.id, ae_id=view.ae.id))
        return redirect_with_done_cookie(request, f"{PATH}/done", DONE_COOKIE, done, PATH, DONE_MAX_AGE)
    if outcome == "busy":
        return busy(request, "Your answer was not saved yet. Please press back and send it again in a minute.")
    await session.refresh(view.request)
    if view.answered:  # a second tab or a double click got there first
        return _already(request, view, 409)
    return _closed(request, view)


async def _answer(temporal: Client, view: IntroView, answer: IntroAnswer, submission_id: str) -> str:
    if not view.request.batch_id:
        return "closed"
    outcome = await submit_update(
        temporal.get_workflow_handle(view.request.batch_id),
        IntroBatchWorkflow.answer,
        answer,
        update_id=f"answer/{view.request.id}/{submission_id}",
    )
    return outcome.kind
