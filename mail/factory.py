"""Build the email backend named by the settings; the API and the worker both get theirs here."""

from __future__ import annotations

from domain.links import LinkSigner
from mail.sender import EmailSender, OutboxOnlySender
from mail.sendgrid import SendGridSender
from mail.smtp import SmtpSender
from mail.unsubscribe import ListUnsubscribe
from settings import Settings


def make_sender(settings: Settings, signer: LinkSigner) -> EmailSender:
    """The backend named by COSELL_EMAIL_BACKEND, wrapped so reminders carry one-click unsubscribe
    (the signer signs those unsubscribe links)."""
    backend: EmailSender
    if settings.email_backend == "sendgrid":
        backend = SendGridSender(
            api_key=settings.sendgrid_api_key.get_secret_value(),
            from_email=settings.email_from,
            from_name=settings.program_name,
            host=settings.sendgrid_host,
            timeout_seconds=settings.sendgrid_timeout_seconds,
            open_tracking=settings.sendgrid_open_tracking,
        )
    elif settings.email_backend == "smtp":
        backend = SmtpSender(
            host=settings.smtp_host,
            port=settings.smtp_port,
            from_email=settings.email_from,
            from_name=settings.program_name,
            username=settings.smtp_username,
            password=settings.smtp_password.get_secret_value(),
            starttls=settings.smtp_starttls,
            timeout_seconds=settings.smtp_timeout_seconds,
        )
    else:
        backend = OutboxOnlySender()
    return ListUnsubscribe(backend, signer, settings.public_base_url)
