"""What every activity family here is built with: the worker constructs each family once."""

from __future__ import annotations

from db.session import SessionFactory
from domain.links import LinkSigner
from mail import EmailSender, Mailer
from mail.render import EmailRenderer
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
        self._sessions, self._signer, self._settings = sessions, signer, settings
        self._mail = Mailer(sessions, sender, renderer)

    def link(self, path: str, token: str) -> str:
        """A public link: `path` is /p, /ae/intro, /ae/feedback."""
        return f"{self._settings.public_base_url.rstrip('/')}{path}/{token}"
