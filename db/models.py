"""The read model and the PM's configuration. Activities write journeys/events/outbox; the API reads."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, MetaData, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from db.types import UTCDateTime

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


def _started_at(context: Any) -> Any:
    return context.get_current_parameters()["started_at"]


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON, list[Any]: JSON}


class Partner(Base):
    __tablename__ = "partners"
    # A cohort's partner rows page in name order (db/views/progress).
    __table_args__ = (Index("ix_partners_name_id", "name", "id"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    external_id: Mapped[str | None] = mapped_column(String(120), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(20))
    verticals: Mapped[list[Any]] = mapped_column(default=list)
    region: Mapped[str] = mapped_column(String(60), default="")
    # ISO 3166-1 alpha-2; whose public holidays move the partner's due dates and reminders. NULL = none.
    country: Mapped[str | None] = mapped_column(String(2))
    timezone: Mapped[str] = mapped_column(String(60), default="UTC")
    tier: Mapped[int] = mapped_column(Integer, default=3)
    # NULL until the first AE feedback; the signals list explains the number (domain.trust).
    trust_score: Mapped[int | None] = mapped_column(Integer)
    trust_signals: Mapped[list[Any]] = mapped_column(default=list, server_default="[]")
    # Reviews in a row that kept the partner in a tier it missed (hysteresis); the last review to judge it.
    missed_reviews: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    tier_reviewed_in: Mapped[str | None] = mapped_column(String(120))
    # What the last tier review judged (its as_of): the four signals and behavior (0-100 each) and the
    # classification, so progress pages read them instead of rescoring every partner per request.
    scores: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    classification: Mapped[str | None] = mapped_column(String(20))
    scored_at: Mapped[datetime | None] = mapped_column()
    # The partner manager responsible (a dashboard user): alerts about the partner go to them, else the PM.
    owner_user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PartnerContact(Base):
    __tablename__ = "partner_contacts"
    __table_args__ = (UniqueConstraint("partner_id", "email"),)
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    partner_id: Mapped[str] = mapped_column(ForeignKey("partners.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(320))
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(120), default="")
    is_primary: Mapped[bool] = mapped_column(default=False)


class PlaybookSnapshot(Base):
    """Immutable: a (playbook_id, version) is written once and never changed."""

    __tablename__ = "playbooks"
    playbook_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    content: Mapped[dict[str, Any]] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Program(Base):
    __tablename__ = "programs"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    pm_email: Mapped[str] = mapped_column(String(320), default="")
    # How a closed deal's AE is asked for feedback: reminders after these business days, expiry in days.
    feedback_reminder_days: Mapped[list[Any]] = mapped_column(default=lambda: [2, 5], server_default="[2, 5]")
    feedback_expiry_days: Mapped[int] = mapped_column(Integer, default=14, server_default="14")
    # How often the tier review's Schedule runs (domain.intel.review_period); the program's own tier rubric
    # (YAML as the PM stored it, validated then; NULL: domain/rubrics/default-v1.yaml).
    tier_review_cadence: Mapped[str] = mapped_column(String(20), default="monthly", server_default="monthly")
    tier_rubric: Mapped[str | None] = mapped_column(Text)
    archived_at: Mapped[datetime | None] = mapped_column()  # takes no new cohorts; its history stays
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Cohort(Base):
    __tablename__ = "cohorts"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    program_id: Mapped[str] = mapped_column(ForeignKey("programs.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    playbook_id: Mapped[str] = mapped_column(String(64))
    playbook_version: Mapped[int] = mapped_column(Integer)
    starts_at: Mapped[datetime] = mapped_column()
    ends_at: Mapped[datetime] = mapped_column()
    status: Mapped[str] = mapped_column(String(20), default="launching")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CohortMember(Base):
    __tablename__ = "cohort_members"
    cohort_id: Mapped[str] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"), primary_key=True)
    partner_id: Mapped[str] = mapped_column(ForeignKey("partners.id"), primary_key=True)
    added_at: Mapped[datetime] = mapped_column(default=utcnow)
    removed_at: Mapped[datetime | None] = mapped_column()


class Journey(Base):
    __tablename__ = "journeys"
    __table_args__ = (
        UniqueConstraint("cohort_id", "partner_id"),
        # Progress reads (db/views/progress, partner_rows): the median, who lags, pages in these orders,
        # and the summary's counts.
        Index("ix_journeys_cohort_last_progress", "cohort_id", "last_progress_at", "partner_id"),
        Index("ix_journeys_cohort_readiness", "cohort_id", "readiness_score", "partner_id"),
        Index("ix_journeys_cohort_stage_status", "cohort_id", "stage", "status", "last_progress_at"),
    )
    id: Mapped[str] = mapped_column(String(120), primary_key=True)
    cohort_id: Mapped[str] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"), index=True)
    partner_id: Mapped[str] = mapped_column(ForeignKey("partners.id"))
    stage: Mapped[str] = mapped_column(String(20))
    current_play: Mapped[str | None] = mapped_column(String(64))
    current_step: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20))
    readiness_score: Mapped[int] = mapped_column(Integer, default=0)
    # The snapshot this journey runs now; differs from the cohort's after a migration. NULL: the cohort's.
    playbook_version: Mapped[int | None] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column()
    completed_at: Mapped[datetime | None] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column()
    # The latest step completion, else the start: kept here (by journeys.mark_step) so a cohort's median
    # and who lags are index reads, not an aggregate over every step row.
    last_progress_at: Mapped[datetime] = mapped_column(default=_started_at)


class JourneyStep(Base):
    """One row per (journey, step) the partner was invited to: the step's current state."""

    __tablename__ = "journey_steps"
    # Covers the progress summary's step counts, so they never read the rows holding the answers.
    __table_args__ = (Index("ix_journey_steps_journey_counts", "journey_id", "step_key", "stage", "status"),)
    journey_id: Mapped[str] = mapped_column(ForeignKey("journeys.id", ondelete="CASCADE"), primary_key=True)
    step_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    stage: Mapped[str] = mapped_column(String(20))
    play_key: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20))
    invited_at: Mapped[datetime] = mapped_column()
    due_at: Mapped[datetime] = mapped_column()
    reminders_sent: Mapped[int] = mapped_column(Integer, default=0)
    completed_at: Mapped[datetime | None] = mapped_column()
    submission: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class JourneyEvent(Base):
    """Append-only timeline; the id is a business key so a retried activity never writes twice."""

    __tablename__ = "journey_events"
    __table_args__ = (Index("ix_journey_events_journey_occurred", "journey_id", "occurred_at"),)
    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    journey_id: Mapped[str] = mapped_column(ForeignKey("journeys.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    stage: Mapped[str] = mapped_column(String(20))
    step_key: Mapped[str | None] = mapped_column(String(64))
    occurred_at: Mapped[datetime] = mapped_column()
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)


class EmailOutbox(Base):
    __tablename__ = "email_outbox"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(300), unique=True)
    journey_id: Mapped[str | None] = mapped_column(String(120), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    to_email: Mapped[str] = mapped_column(String(320))
    to_name: Mapped[str] = mapped_column(String(200), default="")
    subject: Mapped[str] = mapped_column(String(300))
    html: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    provider: Mapped[str] = mapped_column(String(20))
    provider_message_id: Mapped[str | None] = mapped_column(String(200))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column()
    # When the current attempt claimed the row: tells a live claim from one left by a dead worker.
    claimed_at: Mapped[datetime | None] = mapped_column()
    # When the sweeper sent again a row the provider proved it never received: at most once per row.
    resent_at: Mapped[datetime | None] = mapped_column()
    # First sighting of each provider event (webhook); the status column only ever moves forward.
    delivered_at: Mapped[datetime | None] = mapped_column()
    opened_at: Mapped[datetime | None] = mapped_column()
    clicked_at: Mapped[datetime | None] = mapped_column()


class AuditLog(Base):
    """Every PM action, with who, what and the answer; the idempotency key makes retries no-ops."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(60))
    cohort_id: Mapped[str | None] = mapped_column(String(36), index=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


class IdempotencyRecord(Base):
    """The answer to a PM request sent with an Idempotency-Key, kept so a retry gets the same answer.

    A key is scoped to the caller and the operation (method, route template and path parameters): the
    same key on another operation is another request, never a replay of this one. The fingerprint
    covers the whole request, so the key reused on this operation with a different body is refused.
    """

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("principal", "operation", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    principal: Mapped[str] = mapped_column(String(120))
    operation: Mapped[str] = mapped_column(String(500))
    key: Mapped[str] = mapped_column(String(200))
    fingerprint: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    response: Mapped[dict[str, Any]] = mapped_column(default=dict)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class PreviewRun(Base):
    """A playbook dry run started from the API: pending until the background run stores its report."""

    __tablename__ = "preview_runs"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    playbook_id: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    partners: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    result: Mapped[dict[str, Any]] = mapped_column(default=dict)
    error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column()


class EmailEvent(Base):
    """One provider webhook event, stored once: the provider event id is unique, so redeliveries are no-ops."""

    __tablename__ = "email_events"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    provider_event_id: Mapped[str] = mapped_column(String(200), unique=True)
    outbox_id: Mapped[str | None] = mapped_column(String(36), index=True)
    event: Mapped[str] = mapped_column(String(30))
    email: Mapped[str] = mapped_column(String(320), default="")
    occurred_at: Mapped[datetime] = mapped_column()
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Suppression(Base):
    """An address we must not email: scope `all` (hard bounce, spam report) or `reminders` (unsubscribed)."""

    __tablename__ = "suppressions"
    email: Mapped[str] = mapped_column(String(320), primary_key=True)  # lower-cased
    scope: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(String(40))
    source: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
