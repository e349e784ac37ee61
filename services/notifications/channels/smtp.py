"""Email over SMTP (stdlib smtplib, run in a worker thread)."""

from __future__ import annotations

import asyncio
import smtplib
import uuid
from email.message import EmailMessage

from services.notifications.channels import OutgoingMessage, PermanentError, TransientError


class SmtpChannel:
    """Email through an SMTP server."""

    name = "email"

    def __init__(
        self,
        *,
        host: str,
        port: int,
        sender: str,
        username: str | None = None,
        password: str | None = None,
        starttls: bool = False,
        timeout_s: float = 10.0,
    ) -> None:
        self._host, self._port, self._sender = host, port, sender
        self._username, self._password = username, password
        self._starttls, self._timeout = starttls, timeout_s

    async def send(self, message: OutgoingMessage) -> str:
        """Send in a worker thread; return the Message-ID."""
        return await asyncio.to_thread(self._send, message)

    def _send(self, message: OutgoingMessage) -> str:
        mail = EmailMessage()
        message_id = f"<{uuid.uuid4()}@psm-notifications>"
        mail["From"], mail["To"], mail["Subject"] = self._sender, message.to, message.subject
        mail["Message-ID"] = message_id
        mail.set_content(message.body)
        try:
            with smtplib.SMTP(self._host, self._port, timeout=self._timeout) as smtp:
                if self._starttls:
                    smtp.starttls()
                if self._username and self._password:
                    smtp.login(self._username, self._password)
                smtp.send_message(mail)
        except smtplib.SMTPRecipientsRefused as exc:
            raise PermanentError("recipient refused by the SMTP server") from exc
        except smtplib.SMTPResponseException as exc:
            if 500 <= exc.smtp_code < 600:
                raise PermanentError(f"SMTP {exc.smtp_code}") from exc
            raise TransientError(f"SMTP {exc.smtp_code}") from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise TransientError(f"SMTP unavailable: {type(exc).__name__}") from exc
        return message_id
