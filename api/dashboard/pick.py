"""Partners picked from the directory on the add-partners form: found by name, chosen by id, and only
partners the signed-in manager may see (those ever in a cohort of their programs; an admin: all)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData

from db.repositories import partners
from db.repositories.users import Viewer
from db.views import dashboard

RESULTS = 20


async def search(session: AsyncSession, viewer: Viewer, q: str) -> list[tuple[str, str]]:
    if not q.strip():
        return []
    f = partners.DirectoryFilter(q=q.strip()[:200], programs=viewer.program_ids)
    _, found = await partners.directory(session, f, RESULTS, 0)
    return [(p.id, p.name) for p in found]


class NotYours(ValueError):
    pass


async def chosen(session: AsyncSession, viewer: Viewer, form: FormData) -> dict[str, str]:
    """Ids ticked on the form (`pick`) or carried by its confirmation (`picked`), with their names."""
    ids = [v for v in form.getlist("pick") if isinstance(v, str)]
    carried = form.get("picked", "")
    ids += [i for i in carried.split(",") if i] if isinstance(carried, str) else []
    ids = list(dict.fromkeys(ids))[:5_000]
    names = await partners.names(session, set(ids))
    for partner_id in ids:
        programs = await dashboard.programs_of_partner(session, partner_id)
        seen = viewer.program_ids is None or bool(programs & viewer.program_ids)
        if partner_id not in names or not seen:
            raise NotYours(f"partner {partner_id} is not in your directory")
    return {i: names[i] for i in ids}
