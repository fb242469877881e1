"""The win wire: one win story draft per won co-sell deal the AE praised, and the program's field list
(opt-in addresses the approved stories go to). Beside db.models; db/__init__ registers them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from db.models import Base, utcnow


class WinWire(Base):
    __tablename__ = "win_wires"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    deal_id: Mapped[str] = mapped_column(ForeignKey("deals.id", ondelete="CASCADE"), unique=True)  # once per deal
    program_id: Mapped[str] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"), index=True)
    partner_id: Mapped[str] = mapped_column(ForeignKey("partners.id"))
    ae_id: Mapped[str] = mapped_column(ForeignKey("account_executives.id"))
    subject: Mapped[str] = mapped_column(String(300))
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="draft")  # draft -> approved
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    approved_at: Mapped[datetime | None] = mapped_column()
    approved_by: Mapped[str | None] = mapped_column(String(120))


class FieldListAddress(Base):
    __tablename__ = "field_list_addresses"
    program_id: Mapped[str] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"), primary_key=True)
    email: Mapped[str] = mapped_column(String(320), primary_key=True)  # lower-cased
    added_at: Mapped[datetime] = mapped_column(default=utcnow)
