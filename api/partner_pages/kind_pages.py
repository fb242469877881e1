"""The link pages of the step kinds that have their own (playbooks.kinds names each by module); the
other kinds get the generic step page in endpoints.py. Each page module answers None to hand a
request back to the generic page (a closed step, say)."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from functools import cache
from typing import Any, Protocol, cast

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData
from temporalio.client import Client

from api.partner_pages import service
from domain.links import StepClaims
from playbooks.kinds import kind_of

Redirect = Callable[[Request, StepClaims, Any], Response]


class KindPage(Protocol):
    async def show(self, request: Request, session: AsyncSession, page: service.StepPage) -> Response | None: ...

    async def submit(
        self,
        request: Request,
        session: AsyncSession,
        temporal: Client,
        claims: StepClaims,
        page: service.StepPage,
        form: FormData,
        redirect: Redirect,
    ) -> Response | None: ...

    async def done(
        self, request: Request, session: AsyncSession, page: service.StepPage, next_up: Any
    ) -> Response | None: ...


@cache
def _module(name: str) -> KindPage:
    return cast(KindPage, importlib.import_module(name))


def page_of(page: service.StepPage) -> KindPage | None:
    name = kind_of(page.step).page
    return _module(name) if name else None
