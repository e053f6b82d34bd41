"""E-mail by the standard library: a message with a Chinese subject (RFC 2047) and a PDF whose Chinese file name
is encoded by RFC 2231, sent through the [mail] SMTP server."""
from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from dashboard.delivery.settings import Mail

TIMEOUT_SECONDS = 60


def message(sender: str, to: str, subject: str, body: str, attachment: tuple[bytes, str] | None = None) -> EmailMessage:
    """A UTF-8 message; the attachment is (PDF bytes, file name)."""
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, to, subject
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2].strip(">") or None)
    # base64: ASCII on the wire, for any server (a server without 8BITMIME would mangle 8-bit Chinese text)
    msg.set_content(body, charset="utf-8", cte="base64")
    if attachment is not None:
        content, filename = attachment
        msg.add_attachment(content, maintype="application", subtype="pdf", filename=filename)
    return msg


def send(settings: Mail, msg: EmailMessage) -> None:
    """Hand the message to the SMTP server; any refusal raises (smtplib.SMTPException or OSError)."""
    context = ssl.create_default_context()
    if settings.security == "ssl":
        server = smtplib.SMTP_SSL(settings.host, settings.port, timeout=TIMEOUT_SECONDS, context=context)
    else:
        server = smtplib.SMTP(settings.host, settings.port, timeout=TIMEOUT_SECONDS)
    with server:
        if settings.security == "starttls":
            server.starttls(context=context)
        if settings.user:
            server.login(settings.user, settings.password or "")
        refused = server.send_message(msg)
    if refused:                 # some recipients refused while others were taken
        raise smtplib.SMTPRecipientsRefused(refused)
