"""The co-sell tables: account executives, vendor and partner accounts and their matches, intro
requests, deals with their attribution, and AE feedback (beside db.models, which holds the core tables;
db/__init__ imports this module so Base.metadata and Alembic see these tables whichever module loads first).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.models import Base, utcnow


class AccountExecutive(Base):
    """A vendor seller, imported from CRM exports; `crm_owner` is the owner name the exports print."""

    __tablename__ = "account_executives"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)  # lower-cased
    name: Mapped[str] = mapped_column(String(200))
    territory: Mapped[str] = mapped_column(String(120), default="")
    crm_owner: Mapped[str] = mapped_column(String(200), default="", index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class VendorAccount(Base):
    """A CRM account of the vendor, keyed by its CRM id so a re-import updates in place."""

    __tablename__ = "vendor_accounts"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    crm_id: Mapped[str] = mapped_column(String(64), unique=True)
    source: Mapped[str] = mapped_column(String(20))  # salesforce | hubspot | mapped
    name: Mapped[str] = mapped_column(String(300))
    name_key: Mapped[str] = mapped_column(String(300), index=True)  # normalized for matching
    domain: Mapped[str | None] = mapped_column(String(255), index=True)  # normalized
    owner_ae_id: Mapped[str | None] = mapped_column(ForeignKey("account_executives.id"), index=True)
    segment: Mapped[str] = mapped_column(String(60), default="")
    industry: Mapped[str] = mapped_column(String(120), default="")
    has_open_opportunity: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class PartnerAccount(Base):
    """One account from a partner's uploaded list; never shown to the vendor unless it matches."""

    __tablename__ = "partner_accounts"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    partner_id: Mapped[str] = mapped_column(ForeignKey("partners.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(300))
    name_key: Mapped[str] = mapped_column(String(300))
    domain: Mapped[str | None] = mapped_column(String(255))
    line: Mapped[int] = mapped_column(Integer)  # where it came from in the upload
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)


class AccountMatch(Base):
    """Partner account <-> vendor account, with the key that matched (domain | name) and a confidence 0-100."""

    __tablename__ = "account_matches"
    partner_account_id: Mapped[int] = mapped_column(
        ForeignKey("partner_accounts.id", ondelete="CASCADE"), primary_key=True
    )
    vendor_account_id: Mapped[str] = mapped_column(
        ForeignKey("vendor_accounts.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    partner_id: Mapped[str] = mapped_column(ForeignKey("partners.id", ondelete="CASCADE"), index=True)
    match_key: Mapped[str] = mapped_column(String(20))
    confidence: Mapped[int] = mapped_column(Integer)
    matched_at: Mapped[datetime] = mapped_column(default=utcnow)


class IntroRequest(Base):
    """A partner asks the owner AE of an overlapping account for an intro; one per (journey, step, account)."""

    __tablename__ = "intro_requests"
    __table_args__ = (UniqueConstraint("journey_id", "step_key", "vendor_account_id"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    journey_id: Mapped[str] = mapped_column(ForeignKey("journeys.id", ondelete="CASCADE"), index=True)
    step_key: Mapped[str] = mapped_column(String(64))
    partner_id: Mapped[str] = mapped_column(ForeignKey("partners.id"), index=True)
    vendor_account_id: Mapped[str] = mapped_column(ForeignKey("vendor_accounts.id"))
    ae_id: Mapped[str] = mapped_column(ForeignKey("account_executives.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    # pending -> sent -> accepted | declined | not_now; unanswered after the cadence -> escalated
    status: Mapped[str] = mapped_column(String(20), default="pending")
    batch_id: Mapped[str | None] = mapped_column(String(200), index=True)  # the AE's daily digest
    requested_at: Mapped[datetime] = mapped_column()
    sent_at: Mapped[datetime | None] = mapped_column()
    answered_at: Mapped[datetime | None] = mapped_column()
    answer_note: Mapped[str] = mapped_column(Text, default="")


class Deal(Base):
    """A co-sell opportunity: registered -> accepted | rejected -> open -> closed_won | closed_lost."""

    __tablename__ = "deals"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    program_id: Mapped[str] = mapped_column(ForeignKey("programs.id"), index=True)
    partner_id: Mapped[str] = mapped_column(ForeignKey("partners.id"), index=True)
    cohort_id: Mapped[str | None] = mapped_column(ForeignKey("cohorts.id"), index=True)
    journey_id: Mapped[str | None] = mapped_column(String(120))
    vendor_account_id: Mapped[str | None] = mapped_column(ForeignKey("vendor_accounts.id"))
    account_name: Mapped[str] = mapped_column(String(300))
    account_key: Mapped[str] = mapped_column(String(300), index=True)  # domain or normalized name: conflicts
    ae_id: Mapped[str | None] = mapped_column(ForeignKey("account_executives.id"), index=True)
    crm_id: Mapped[str | None] = mapped_column(String(64), unique=True)  # CRM opportunity id
    # Business identity of the registration (e.g. journey/step), so a repeated registration is a no-op.
    source_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    source: Mapped[str] = mapped_column(String(20))  # partner | pm | crm
    stage: Mapped[str] = mapped_column(String(20), default="registered")
    amount: Mapped[int | None] = mapped_column(BigInteger)  # whole currency units
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    partner_role: Mapped[str] = mapped_column(String(20))  # sourced | influenced | accelerated
    expected_close: Mapped[date | None] = mapped_column(Date)
    conflict: Mapped[str | None] = mapped_column(String(20))  # flagged | resolved
    registered_at: Mapped[datetime] = mapped_column()
    closed_at: Mapped[datetime | None] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class DealAttribution(Base):
    """Who said how the partner contributed to a deal: the partner, the AE, the PM or the CRM."""

    __tablename__ = "deal_attributions"
    __table_args__ = (UniqueConstraint("deal_id", "said_by", "actor"),)
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    deal_id: Mapped[str] = mapped_column(ForeignKey("deals.id", ondelete="CASCADE"), index=True)
    attribution: Mapped[str] = mapped_column(String(20))  # sourced | influenced | accelerated | none
    said_by: Mapped[str] = mapped_column(String(20))  # partner | ae | pm | crm
    actor: Mapped[str] = mapped_column(String(320))
    at: Mapped[datetime] = mapped_column()


class AeFeedback(Base):
    """One feedback request per (closed deal, AE): created when asked, filled when the AE answers."""

    __tablename__ = "ae_feedback"
    deal_id: Mapped[str] = mapped_column(ForeignKey("deals.id", ondelete="CASCADE"), primary_key=True)
    ae_id: Mapped[str] = mapped_column(ForeignKey("account_executives.id"), primary_key=True)
    partner_id: Mapped[str] = mapped_column(ForeignKey("partners.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="requested")  # requested | submitted | expired
    requested_at: Mapped[datetime] = mapped_column()
    expires_at: Mapped[datetime] = mapped_column()
    reminders_sent: Mapped[int] = mapped_column(Integer, default=0)
    contribution: Mapped[str | None] = mapped_column(String(20))  # sourced | influenced | accelerated | none
    role_clarity: Mapped[int | None] = mapped_column(Integer)
    responsiveness: Mapped[int | None] = mapped_column(Integer)
    invite_again: Mapped[bool | None] = mapped_column()
    comment: Mapped[str] = mapped_column(Text, default="")
    submitted_at: Mapped[datetime | None] = mapped_column()
    revisions: Mapped[int] = mapped_column(Integer, default=0)
