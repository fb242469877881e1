"""Email, for the API and the worker alike: the outbox, rendering, the senders and their factory.

The interface: `make_sender(settings, signer)` builds the backend; `Mailer(sessions, sender)` sends
an `Email` with `mailer.post()` / `mailer.send(email)`; `deliver_all` delivers rows the API queued
with `queue(session, email, provider)` once its transaction has committed.
"""

from mail.delivery import deliver, deliver_all, deliver_quietly
from mail.factory import make_sender
from mail.post import Mailer, Post
from mail.queue import Email, queue
from mail.sender import EmailSender, OutboundEmail, OutboxOnlySender

__all__ = [
    "Email",
    "EmailSender",
    "Mailer",
    "OutboundEmail",
    "OutboxOnlySender",
    "Post",
    "deliver",
    "deliver_all",
    "deliver_quietly",
    "make_sender",
    "queue",
]
