"""Email over SMTP (stdlib ``smtplib`` in a worker thread), STARTTLS and AUTH optional."""

from __future__ import annotations

import asyncio
import email.message
import email.policy
import email.utils
import smtplib
import ssl

from modelmon.alerting import payloads
from modelmon.alerting.batches import Batch
from modelmon.alerting.sinks.common import DeliveryError, Secrets
from modelmon.api.alerts import EmailSink

#: The stdlib folds a subject over 78 characters by moving it whole to a continuation line, which
#: readers then show with a leading space; RFC 5322 allows lines up to 998 characters.
_POLICY = email.policy.default.clone(max_line_length=998)


def compose(spec: EmailSink, batch: Batch, *, now: float) -> email.message.EmailMessage:
    subject, text = payloads.email_message(batch)
    message = email.message.EmailMessage(policy=_POLICY)
    # A subject or feature name with a line break must not inject headers.
    message["Subject"] = " ".join(subject.split())
    message["From"] = spec.from_
    message["To"] = ", ".join(spec.to)
    message["Date"] = email.utils.formatdate(now, usegmt=True)
    message["Message-ID"] = f"<{batch.id}@modelmon.io>"
    message.set_content(text)
    return message


def _deliver(spec: EmailSink, message: email.message.EmailMessage, *, credentials: tuple[str, str] | None,
             tls: ssl.SSLContext, timeout: float) -> None:
    with smtplib.SMTP(spec.host, spec.port, timeout=timeout) as smtp:
        smtp.ehlo()
        if spec.starttls:
            if not smtp.has_extn("starttls"):
                raise DeliveryError("the SMTP server does not offer STARTTLS (set starttls: false only for a "
                                    "trusted relay without credentials)")
            smtp.starttls(context=tls)
            smtp.ehlo()
        if credentials is not None:
            smtp.login(*credentials)
        smtp.send_message(message)


async def send(spec: EmailSink, batch: Batch, *, secrets: Secrets, session: object, timeout: float,
               now: float) -> None:
    credentials = None
    if spec.username_secret_ref is not None and spec.password_secret_ref is not None:
        credentials = (await secrets.get(spec.username_secret_ref), await secrets.get(spec.password_secret_ref))
        secrets.redactor.add_sasl_plain(*credentials)
    tls = await secrets.tls(spec.tls) or ssl.create_default_context()
    message = compose(spec, batch, now=now)
    try:
        await asyncio.to_thread(_deliver, spec, message, credentials=credentials, tls=tls, timeout=timeout)
    except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as error:
        # 5xx on the envelope or the data is the server refusing this message: sending it again cannot help.
        code = getattr(error, "smtp_code", None) or 0
        raise DeliveryError(f"{type(error).__name__}: {error}", retryable=not 500 <= code < 600) from None
    except (smtplib.SMTPException, OSError) as error:
        raise DeliveryError(f"{type(error).__name__}: {error}") from None
