from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Journey, PlaybookSnapshot
from playbooks.loader import reference
from playbooks.model import Playbook, PlaybookRef

__all__ = ["PlaybookRef", "get", "list_all", "model", "publish", "ref_of", "to_model", "version_of"]

# Parsed published versions, per process. Keyed with the sha256: a test database recreated in the same
# process may publish other content under the same (id, version).
_MODELS: dict[tuple[str, int, str], Playbook] = {}
MODEL_CACHE_SIZE = 64


def version_of(journey: Journey, cohort_version: int) -> int:
    """The one rule for which playbook version a journey runs: a journey migrated to a newer version
    records it on its row; every other journey runs the version its cohort started it on."""
    return journey.playbook_version or cohort_version


class PlaybookChanged(Exception):
    """A published (id, version) may never change: editing content means a new version."""


async def publish(session: AsyncSession, playbook: Playbook) -> tuple[PlaybookRef, bool]:
    ref = reference(playbook)
    existing = await session.get(PlaybookSnapshot, (playbook.id, playbook.version))
    if existing is not None:
        if existing.sha256 != ref.sha256:
            raise PlaybookChanged(
                f"playbook {playbook.id} version {playbook.version} is already published with different "
                "content; bump `version` so running windows keep what they started with"
            )
        return ref, False
    session.add(
        PlaybookSnapshot(
            playbook_id=playbook.id,
            version=playbook.version,
            sha256=ref.sha256,
            title=playbook.title,
            content=playbook.model_dump(mode="json"),
        )
    )
    await session.flush()
    return ref, True


async def get(session: AsyncSession, playbook_id: str, version: int | None = None) -> PlaybookSnapshot | None:
    if version is None:
        version = await session.scalar(
            select(func.max(PlaybookSnapshot.version)).where(PlaybookSnapshot.playbook_id == playbook_id)
        )
        if version is None:
            return None
    return await session.get(PlaybookSnapshot, (playbook_id, version))


async def list_all(session: AsyncSession) -> list[PlaybookSnapshot]:
    rows = await session.scalars(
        select(PlaybookSnapshot).order_by(PlaybookSnapshot.playbook_id, PlaybookSnapshot.version)
    )
    return list(rows)


async def model(session: AsyncSession, playbook_id: str, version: int) -> Playbook | None:
    """A published version as a model, parsed once: publishing never changes a published version, so each
    request reads only its sha256 instead of the ~70 KB snapshot, and the frozen model is shared."""
    sha = await session.scalar(
        select(PlaybookSnapshot.sha256).where(
            PlaybookSnapshot.playbook_id == playbook_id, PlaybookSnapshot.version == version
        )
    )
    if sha is None:
        return None
    key = (playbook_id, version, sha)
    if (found := _MODELS.get(key)) is None:
        row = await session.get(PlaybookSnapshot, (playbook_id, version))
        if row is None:
            return None
        found = to_model(row)
        if len(_MODELS) >= MODEL_CACHE_SIZE:
            _MODELS.pop(next(iter(_MODELS)))
        _MODELS[key] = found
    return found


def to_model(row: PlaybookSnapshot) -> Playbook:
    return Playbook.model_validate(row.content)


def ref_of(row: PlaybookSnapshot) -> PlaybookRef:
    return PlaybookRef(playbook_id=row.playbook_id, version=row.version, sha256=row.sha256)
