"""CRM opportunity import (Salesforce report export, HubSpot deals export): the whole file or nothing.

Three passes over one transaction: read every row (domain.crm_deals), check each against the
database (partner, stage move, duplicates), and only if no row has a problem write them all. A
re-import of the same file finds every deal by its CRM id unchanged and writes nothing.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, time
from typing import BinaryIO

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.api_keys import actor_of
from api.deals.schemas import ImportResult
from api.deals.service import News, program_of, tell_partner
from api.errors import AppError
from db.cosell_models import AccountExecutive, Deal, DealAttribution
from db.models import AuditLog, Partner
from db.repositories import deal_batches as batches
from db.repositories import deals as repo
from domain.accounts import name_key
from domain.crm_deals import FORMATS, Row, detect, read_rows
from domain.csv_import import CsvFileError, RowProblem
from domain.deals import CLOSED, IllegalMove, Role, SaidBy, Stage, account_key, path


@dataclass
class _Known:
    """The database as the file's rows need it, read in a few bulk queries before the first row."""

    by_external_id: dict[str, list[Partner]]
    by_name: dict[str, list[Partner]]
    deals: dict[str, Deal]  # by CRM id
    unlinked: dict[str, list[Deal]]  # partner id -> its registrations no opportunity claimed yet
    vendors: batches.Vendors

    def partner(self, row: Row) -> Partner | RowProblem:
        """By external id, else exact name (ambiguous names are a problem, never a guess)."""
        if row.partner_external_id and (found := self.by_external_id.get(row.partner_external_id)):
            return found[0]
        named = self.by_name.get(row.partner, [])
        if len(named) == 1:
            return named[0]
        what = "several partners are" if named else "no partner is"
        return RowProblem(row.line, row.header("partner"), f"{what} named {row.partner!r}; use the partner's id column")


async def _known(session: AsyncSession, program_id: str, rows: list[Row]) -> _Known:
    by_external_id = await batches.partners(session, Partner.external_id, {r.partner_external_id or "" for r in rows})
    by_name = await batches.partners(session, Partner.name, {r.partner for r in rows})
    partner_ids = {p.id for found in (*by_external_id.values(), *by_name.values()) for p in found}
    return _Known(
        by_external_id,
        by_name,
        await batches.by_crm_ids(session, {r.crm_id for r in rows}),
        await batches.unlinked(session, program_id, partner_ids),
        await batches.vendors(
            session,
            {r.account_name for r in rows},
            {r.account_domain or "" for r in rows},
            {r.account_crm_id or "" for r in rows},
        ),
    )


async def run(
    news: News,
    stream: BinaryIO,
    filename: str,
    program_ref: str,
    fmt: str,
    mapping: dict[str, str] | None,
) -> tuple[ImportResult, list[Deal]]:
    """Import the file; returns the answer and the closed deals whose AEs should be asked for feedback.
    A deal the file moves to accepted, rejected, won or lost is news to its partner (the final stage only)."""
    session = news.session
    program = await program_of(session, program_ref)
    digest = hashlib.sha256()
    first = stream.readline()
    digest.update(first)
    digest.update(stream.read())
    stream.seek(0)
    try:
        fmt = detect(first) if fmt == "auto" else fmt
        columns = FORMATS[fmt]
        parsed, problems = read_rows(stream, columns, mapping)
    except CsvFileError as exc:
        raise AppError(f"{filename or 'the file'}: {exc}", {"file": filename, "problems": []}, status_code=422) from exc
    known = await _known(session, program.id, parsed)
    plan, skipped, warnings = await _check(session, known, parsed, problems)
    if problems:
        problems.sort(key=lambda p: (p.line, p.column or ""))
        raise AppError(
            f"{len({p.line for p in problems})} row(s) of {filename or 'the file'} have problems; nothing was imported",
            {"file": filename, "problems": [p.as_dict() for p in problems]},
            status_code=422,
        )
    counts, ids, closed = await _write(news, program.id, fmt, plan, known.vendors)
    result = ImportResult(
        format=fmt,
        rows=len(plan) + len(skipped),
        skipped=skipped,
        warnings=[w.as_dict() for w in warnings],
        feedback_requested=0,
        deal_ids=ids,
        **counts,
    )
    session.add(
        AuditLog(
            actor=actor_of(session),
            action="deals_imported",
            detail={
                "file": filename,
                "sha256": digest.hexdigest(),
                "program_id": program.id,
                "result": result.model_dump(),
            },
        )
    )
    await session.flush()
    return result, closed


Plan = list[tuple[Row, Partner, Deal | None, str | None]]


async def _write(
    news: News, program_id: str, fmt: str, plan: Plan, vendors: batches.Vendors
) -> tuple[dict[str, int], list[str], list[Deal]]:
    """Every checked row written: (counts by outcome, deal ids in file order, the closed deals).
    A new deal tells its partner nothing: a first import of history must not email old outcomes.
    Rows are walked in file order against an in-memory index of the program's active deals, so a new
    deal collides with exactly what registering the rows one by one would find; the new deals are then
    written together."""
    session = news.session
    counts = {"created": 0, "adopted": 0, "updated": 0, "unchanged": 0}
    ids, closed = [], []
    now = datetime.now(UTC)
    await repo.lock_program(session, program_id)
    new = [(row, partner, ae_id) for row, partner, existing, ae_id in plan if existing is None]
    cohorts = await batches.window_cohorts(session, program_id, {partner.id for _, partner, _ in new}, now)
    drafts = {
        row.line: _draft(program_id, fmt, row, partner, ae_id, now, cohorts.get(partner.id), vendors)
        for row, partner, ae_id in new
    }
    active = await batches.active_deals(
        session,
        program_id,
        {d.account_key for d in drafts.values()},
        {d.vendor_account_id or "" for d in drafts.values()},
    )
    created: list[tuple[Deal, dict[str, object]]] = []
    collisions: list[batches.Collision] = []
    for row, _partner, existing, ae_id in plan:
        if existing is None:
            deal, outcome = drafts[row.line], "created"
            if others := active.others(deal):
                stages = {d.id: d.stage for d in (deal, *others)}
                collisions.append(batches.Collision(deal, others, stages))
            active.add(deal)
            created.append((deal, {"crm_id": row.crm_id, "line": row.line}))
        else:
            before = existing.stage
            deal, outcome = await _update(session, fmt, row, existing, ae_id, now)
            if deal.stage != before:
                await tell_partner(news, deal, [Stage(deal.stage)])
        counts[outcome] += 1
        ids.append(deal.id)
        if deal.stage in CLOSED:
            closed.append(deal)
    # No news to the owner AE (ae_deal_notices): an imported deal is the AE's own CRM data, not a partner telling them.
    await batches.insert_registered(session, created, SaidBy.crm.value, f"{fmt} import")
    await batches.flag_all(session, collisions, now)
    return counts, ids, closed


async def _check(
    session: AsyncSession, known: _Known, rows: list[Row], problems: list[RowProblem]
) -> tuple[Plan, list[dict[str, object]], list[RowProblem]]:
    """Match each row to its partner, deal and AE without writing; problems and warnings by line."""
    adopted = set[str]()
    seen: dict[str, int] = {}
    owners: dict[str, AccountExecutive | None] = {}
    plan: Plan = []
    skipped: list[dict[str, object]] = []
    warnings: list[RowProblem] = []
    for row in rows:
        if not row.partner and not row.partner_external_id:
            skipped.append({"line": row.line, "crm_id": row.crm_id, "reason": "no partner on this opportunity"})
            continue
        if row.crm_id in seen:
            problems.append(
                RowProblem(row.line, row.header("crm_id"), f"{row.crm_id} is also on line {seen[row.crm_id]}")
            )
            continue
        seen[row.crm_id] = row.line
        partner = known.partner(row)
        if isinstance(partner, RowProblem):
            problems.append(partner)
            continue
        existing = known.deals.get(row.crm_id)
        if existing is None and (existing := _registration_of(known, partner.id, row, adopted)):
            adopted.add(existing.id)
        if existing is not None:
            if existing.partner_id != partner.id:
                problems.append(
                    RowProblem(row.line, row.header("partner"), f"{row.crm_id} is another partner's deal here")
                )
                continue
            try:
                path(existing.stage, row.stage)
            except IllegalMove as exc:
                problems.append(RowProblem(row.line, row.header("stage"), f"{row.crm_id}: {exc}"))
                continue
        ae_id = None
        if row.owner:
            if row.owner not in owners:
                owners[row.owner] = await repo.ae_by_owner(session, row.owner)
            ae = owners[row.owner]
            if ae is None:
                warnings.append(
                    RowProblem(
                        row.line, row.header("owner"), f"no account executive {row.owner!r}; no AE feedback for it"
                    )
                )
            else:
                ae_id = ae.id
        plan.append((row, partner, existing, ae_id))
    return plan, skipped, warnings


def _registration_of(known: _Known, partner_id: str, row: Row, taken: set[str]) -> Deal | None:
    """The partner's own registration of this opportunity (no CRM id yet): same account by domain or by
    normalized name, so "Acme Corp" in the CRM adopts the partner's "Acme Corp, Inc." on acme.com."""
    vendor = known.vendors.find(row.account_name, row.account_domain, row.account_crm_id)
    key = account_key(row.account_name, row.account_domain or (vendor.domain if vendor else None))
    wanted_name = name_key(row.account_name)
    for deal in known.unlinked.get(partner_id, ()):
        same = deal.account_key == key or name_key(deal.account_name) == wanted_name
        if same and deal.id not in taken and (vendor is None or deal.vendor_account_id in (None, vendor.id)):
            return deal
    return None


def _close_moment(row: Row, now: datetime) -> datetime:
    return datetime.combine(row.close_date, time(), UTC) if row.close_date and row.close_date <= now.date() else now


def _draft(
    program_id: str,
    fmt: str,
    row: Row,
    partner: Partner,
    ae_id: str | None,
    now: datetime,
    cohort_id: str | None,
    vendors: batches.Vendors,
) -> Deal:
    """The new deal a row registers, as repo.register would build it (not yet in the session)."""
    vendor = vendors.find(row.account_name, row.account_domain, row.account_crm_id)
    reg = repo.Registration(
        program_id=program_id,
        partner_id=partner.id,
        account_name=row.account_name,
        account_domain=row.account_domain,
        vendor_crm_id=row.account_crm_id,
        partner_role=(row.role or Role.influenced).value,
        source="crm",
        actor=f"{fmt} import",
        at=now,
        amount=row.amount,
        currency=row.currency,
        expected_close=row.close_date,
        crm_id=row.crm_id,
        ae_id=ae_id,
        stage=row.stage,
        cohort_id=cohort_id,
    )
    key = account_key(row.account_name, row.account_domain or (vendor.domain if vendor else None))
    deal = repo.new_deal(reg, vendor, key, ae_id or (vendor.owner_ae_id if vendor else None), cohort_id)
    if row.stage in CLOSED:
        deal.closed_at = _close_moment(row, now)
    return deal


async def _update(
    session: AsyncSession, fmt: str, row: Row, existing: Deal, ae_id: str | None, now: datetime
) -> tuple[Deal, str]:
    actor = f"{fmt} import"
    outcome = "adopted" if existing.crm_id is None else "updated"
    before = (existing.stage, existing.amount, existing.currency, existing.expected_close, existing.ae_id)
    existing.crm_id = row.crm_id
    if await repo.move(session, existing, row.stage, now, implied=True) and row.stage in CLOSED:
        existing.closed_at = _close_moment(row, now)
    existing.amount = row.amount if row.amount is not None else existing.amount
    existing.currency, existing.expected_close = row.currency, row.close_date or existing.expected_close
    existing.ae_id = ae_id or existing.ae_id
    said = False
    if row.role is not None:
        current = await session.scalar(
            select(DealAttribution.attribution).where(
                DealAttribution.deal_id == existing.id,
                DealAttribution.said_by == SaidBy.crm.value,
                DealAttribution.actor == actor,
            )
        )
        if current != row.role.value:
            await repo.say(session, existing.id, row.role.value, SaidBy.crm.value, actor, now)
            said = True
    after = (existing.stage, existing.amount, existing.currency, existing.expected_close, existing.ae_id)
    if outcome == "updated" and before == after and not said:
        return existing, "unchanged"
    existing.updated_at = now
    return existing, outcome
