"""The owner AE's news of a partner's deal registration: one row per deal, written with the registration.
Beside db.models; db/__init__ registers it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from db.models import Base, utcnow


class AeDealNotice(Base):
    """pending (in `batch_id`, the AE's digest of the day) -> sent (in the digest whose outbox key is
    `outbox_key`); `nobody` when there was no owner AE to tell (`reason` says why). The deal id is the key,
    so a registration recorded twice or a retried activity still tells the AE once."""

    __tablename__ = "ae_deal_notices"
    deal_id: Mapped[str] = mapped_column(ForeignKey("deals.id", ondelete="CASCADE"), primary_key=True)
    ae_id: Mapped[str | None] = mapped_column(ForeignKey("account_executives.id"), index=True)
    batch_id: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20))
    registered_by: Mapped[str] = mapped_column(String(320))  # the partner contact's email, or "pm"
    note: Mapped[str] = mapped_column(Text, default="")  # the partner's description of the deal
    reason: Mapped[str] = mapped_column(Text, default="")
    noted_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column()
    outbox_key: Mapped[str | None] = mapped_column(String(300))
