"""A program's tier rubric: read it, replace it with the program's own YAML, or go back to the default.

The YAML has the shape of domain/rubrics/default-v1.yaml and is validated like a playbook: a bad one is
refused with 422 and every problem names its line and path. The program's tier reviews, its cohorts'
intelligence and its partners' signals judge tiers by it from the next read or review on.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel

from api.api_keys import actor_of
from api.deps import PMAuth, SessionDep
from api.errors import AppError, NotFound, documented
from db.models import AuditLog, Program
from domain.intel.rubric import DEFAULT_RUBRIC, Rubric, RubricError, parse_rubric, program_rubric

router = APIRouter(prefix="/api/v1/programs", tags=["tier reviews"], dependencies=[PMAuth], responses=documented(401))
# The handler reads the YAML itself (any content type), so the body is declared here.
_YAML = {
    "required": True,
    "content": {"application/yaml": {"schema": {"type": "string"}}, "text/plain": {"schema": {"type": "string"}}},
}
SOURCE = "rubric.yaml"  # how errors name the uploaded text


class RubricOut(BaseModel):
    program_id: str
    source: str  # program | default
    rubric: Rubric
    yaml: str


async def _program(session: SessionDep, program_id: str) -> Program:
    program = await session.get(Program, program_id)
    if program is None:
        raise NotFound(f"program {program_id} not found", {"program_id": program_id})
    return program


def _out(program: Program) -> RubricOut:
    text = program.tier_rubric
    return RubricOut(
        program_id=program.id,
        source="program" if text else "default",
        rubric=program_rubric(text),
        yaml=text or DEFAULT_RUBRIC.read_text(encoding="utf-8"),
    )


@router.get("/{program_id}/rubric", responses=documented(404))
async def get_rubric(program_id: str, session: SessionDep) -> RubricOut:
    """The rubric the program's tiers are judged by, and its YAML."""
    return _out(await _program(session, program_id))


@router.put("/{program_id}/rubric", responses=documented(404, 413, 422), openapi_extra={"requestBody": _YAML})
async def put_rubric(program_id: str, request: Request, session: SessionDep) -> RubricOut:
    """Send the YAML as the request body (any content type)."""
    program = await _program(session, program_id)
    text = (await request.body()).decode("utf-8", errors="replace")
    try:
        rubric = parse_rubric(text, SOURCE)
    except RubricError as exc:
        problems = [dict(line=i.line, path=i.path, message=i.message, text=str(i)) for i in exc.issues]
        raise AppError(f"the rubric has {len(problems)} problem(s)", problems, status_code=422) from exc
    program.tier_rubric = text
    detail = {"program_id": program_id, "rubric": f"{rubric.id} v{rubric.version}"}
    session.add(AuditLog(actor=actor_of(session), action="tier_rubric_set", detail=detail))
    await session.flush()
    return _out(program)


@router.delete("/{program_id}/rubric", responses=documented(404))
async def reset_rubric(program_id: str, session: SessionDep) -> RubricOut:
    """Back to the default rubric."""
    program = await _program(session, program_id)
    program.tier_rubric = None
    session.add(AuditLog(actor=actor_of(session), action="tier_rubric_reset", detail={"program_id": program_id}))
    await session.flush()
    return _out(program)
