"""Outgoing mail. SMTP when ``APKDEPOT_SMTP_URL`` is set
(``smtp://user:pass@host:port``, ``smtp+starttls://…`` or ``smtps://…``);
otherwise each message is written to the data directory's outbox folder.

TLS (STARTTLS or SMTPS) always verifies the server's certificate and host
name (the mails carry one-time links); ``APKDEPOT_SMTP_CA_FILE`` names a
private CA's certificates to trust besides the system's."""

from __future__ import annotations

import logging
import smtplib
import ssl
import time
import uuid
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit

log = logging.getLogger("apkdepot.mail")


class Mailer(Protocol):
    def send(self, message: EmailMessage) -> None: ...


def compose(sender: str, to: str, subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = f"<{uuid.uuid4().hex}@apkdepot>"
    message.set_content(body)
    return message


class OutboxMailer:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def send(self, message: EmailMessage) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        name = f"{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:12]}.eml"
        tmp = self.directory / (name + ".tmp")
        tmp.write_bytes(bytes(message))
        tmp.rename(self.directory / name)
        # The body carries single-use links: log where it went, never what it says.
        log.info("mail written to outbox", extra={"to": message["To"], "subject": message["Subject"], "file": name})


class SmtpMailer:
    def __init__(self, url: str, timeout: float = 15.0, ca_file: str = "") -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtp+starttls", "smtps"):
            raise ValueError("APKDEPOT_SMTP_URL must start with smtp://, smtp+starttls:// or smtps://")
        self.scheme = parts.scheme
        self.host = parts.hostname or "localhost"
        self.port = parts.port or (465 if parts.scheme == "smtps" else 25)
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.timeout = timeout
        # smtplib's own default context does not verify certificates: never use it.
        self.context = ssl.create_default_context(cafile=ca_file or None)

    def send(self, message: EmailMessage) -> None:
        if self.scheme == "smtps":
            client = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=self.context)
        else:
            client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        with client:
            if self.scheme == "smtp+starttls":
                client.starttls(context=self.context)
            if self.username:
                client.login(self.username, self.password or "")
            client.send_message(message)
        log.info("mail sent", extra={"to": message["To"], "subject": message["Subject"]})


def make_mailer(smtp_url: str, outbox: Path, ca_file: str = "") -> Mailer:
    return SmtpMailer(smtp_url, ca_file=ca_file) if smtp_url else OutboxMailer(outbox)
