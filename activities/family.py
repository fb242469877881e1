"""What every activity family here is built with: the worker constructs each family once."""

from __future__ import annotations

from activities.email.render import EmailRenderer
from activities.email.sender import EmailSender
from db.session import SessionFactory
from domain.links import LinkSigner
from settings import Settings


class ActivityFamily:
    def __init__(
        self,
        sessions: SessionFactory,
        sender: EmailSender,
        signer: LinkSigner,
        renderer: EmailRenderer,
        settings: Settings,
    ):
        self._sessions, self._sender, self._signer = sessions, sender, signer
        self._renderer, self._settings = renderer, settings
