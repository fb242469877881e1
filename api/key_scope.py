"""What an API key may reach: its user's programs. An admin's key and the bootstrap keys of
COSELL_API_KEYS reach every program; a manager's key only the programs they run.

Checked in one place, the PM routes' key dependency (api/deps.py), from the request's path and query
parameters that name a program, cohort, partner, deal or journey: a resource outside the key's programs
answers the same 404 as one that does not exist. tests/api/test_key_scope.py walks the OpenAPI routes,
so a route with a parameter this module does not know fails the suite until it is listed here.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Iterable, Sequence
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request

from api.errors import AppError, Forbidden, NotFound
from db.cosell_models import Deal
from db.models import Cohort, Journey, Partner
from db.repositories import accounts, partners, programs
from db.views import dashboard

Finder = Callable[[AsyncSession, str], Awaitable[Collection[str]]]


async def _program(session: AsyncSession, program_id: str) -> Collection[str]:
    return [program_id]


async def _program_ref(session: AsyncSession, ref: str) -> Collection[str]:
    """A program by id or name, as the list filters take it."""
    program = await programs.by_ref(session, ref)
    return [program.id] if program is not None else []


async def _cohort(session: AsyncSession, cohort_id: str) -> Collection[str]:
    found = await dashboard.program_of_cohort(session, cohort_id)
    return [found] if found is not None else []


async def _partner(session: AsyncSession, partner_id: str) -> Collection[str]:
    """Every program the partner was ever in a cohort of: the dashboard's partner page uses the same rule."""
    return await dashboard.programs_of_partner(session, partner_id)


async def _deal(session: AsyncSession, deal_id: str) -> Collection[str]:
    return list(await session.scalars(select(Deal.program_id).where(Deal.id == deal_id)))


async def _journey(session: AsyncSession, journey_id: str) -> Collection[str]:
    query = select(Cohort.program_id).join(Journey, Journey.cohort_id == Cohort.id).where(Journey.id == journey_id)
    return list(await session.scalars(query))


# Parameter -> (what it names, in the 404's words; the programs that own it).
PATH: dict[str, tuple[str, Finder]] = {
    "program_id": ("program", _program),
    "cohort_id": ("cohort", _cohort),
    "partner_id": ("partner", _partner),
    "deal_id": ("deal", _deal),
    "journey_id": ("journey", _journey),
}
QUERY: dict[str, tuple[str, Finder]] = {"program": ("program", _program_ref), "partner": ("partner", _partner)}
# Path parameters that need no check of their own, and why (the route test reads this list).
UNSCOPED = {
    "playbook_id": "playbooks are shared by every program",
    "run_id": "a playbook's dry run, on made-up partners",
    "step_id": "a step of the route's journey_id",
    "contact_id": "a contact of the route's partner_id",
    "wire_id": "a win wire of the route's program_id",
    "sub_id": "a webhook subscription of the route's program_id",
    "delivery_id": "a delivery of the route's sub_id",
    "period": "a tier review period of the route's program_id",
}


async def check(session: AsyncSession, request: Request, allowed: frozenset[str] | None) -> None:
    """Refuse, as not found, a named resource none of whose programs is `allowed` (None: every program)."""
    if allowed is None:
        return
    named = [(PATH[k], k, v) for k, v in request.path_params.items() if k in PATH]
    named += [(QUERY[k], k, v) for k, v in request.query_params.items() if k in QUERY]
    for (kind, owners), param, value in named:
        if not set(await owners(session, value)) & allowed:
            raise NotFound(f"{kind} {value} not found", {param: value})


async def check_body_program(session: AsyncSession, allowed: frozenset[str] | None, ref: str) -> None:
    """A program named in a body (a new cohort's, a deal's) must be one the key may reach; a scoped key
    cannot create a program this way either, since its user would not run it."""
    if allowed is not None and not set(await _program_ref(session, ref)) & allowed:
        raise NotFound(f"program {ref} not found", {"program": ref})


async def check_body_partner(
    session: AsyncSession, allowed: frozenset[str] | None, partner_id: str | None, external_id: str | None
) -> None:
    """A partner named in a body (a new deal's) must be one the key sees; refused in the words of one that
    does not exist (api/deals/service.partner_of), so its external id cannot be probed either."""
    if allowed is None:
        return
    found = await session.get(Partner, partner_id) if partner_id else None
    if found is None and not partner_id and external_id:
        found = await partners.by_external_id(session, external_id)
    if found is None or not set(await _partner(session, found.id)) & allowed:
        raise NotFound("partner not found", {"partner_id": partner_id, "partner_external_id": external_id})


async def foreign_partners(session: AsyncSession, allowed: frozenset[str] | None, found: Iterable[Partner]) -> set[str]:
    """The ids of partners a key may not change: each is in some program, none of them the key's. A partner
    in no program yet (imported, never in a cohort) is anyone's to change."""
    if allowed is None:
        return set()
    owners = await dashboard.programs_of_partners(session, [p.id for p in found])
    return {pid for pid, theirs in owners.items() if not theirs & allowed}


class _ByExternalId(Protocol):
    @property
    def external_id(self) -> str | None: ...


async def check_body_partners(
    session: AsyncSession, allowed: frozenset[str] | None, given: Sequence[_ByExternalId]
) -> None:
    """Partners in a body (a new cohort's, a window's added ones) are upserted by external id: a scoped key
    may not rewrite one only other programs have (the partner import's rule, answered as a 422 per item)."""
    ids = [p.external_id for p in given if p.external_id] if allowed is not None else []
    if not ids:
        return
    found = await accounts.existing_by(session, Partner, "external_id", ids)
    foreign = await foreign_partners(session, allowed, found.values())
    problems = [
        {"path": f"partners[{i}].external_id", "message": "this partner is in programs you do not run"}
        for i, p in enumerate(given)
        if p.external_id in found and found[p.external_id].id in foreign
    ]
    if problems:
        raise AppError("a partner in programs you do not run cannot be changed with this key", problems, 422)


def require_every_program(allowed: frozenset[str] | None, what: str) -> None:
    """Refuse a manager's key what only an admin does (the dashboard has no such form for managers either:
    programs come from an admin, `cosell users create --program`)."""
    if allowed is not None:
        raise Forbidden(f"only an admin's key may {what}", "use an admin's key, or ask an admin")
