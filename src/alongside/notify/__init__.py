"""Telling the team: alert emails over SMTP and signed webhooks, sent from the outbox.

Messages carry no clinical detail and no name: only the level, the kind of alert and a link
into Alongside, where reading the record is authorised and audited. A webhook body is signed
with HMAC-SHA256 over "<timestamp>.<body>" with the team's secret, so the receiver can check it
came from us and is fresh.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import logging
import smtplib
import socket
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from uuid import UUID

from ..domain import dose_diary, monitoring
from ..domain.dates import weekday_date_and_time
from ..domain.errors import InvalidInput
from ..domain.monitoring import Alert
from .webhook_targets import check_webhook_url

MAX_ATTEMPTS = 5
# How long a sender holds a message it has claimed. Far longer than one send can take (each SMTP
# or HTTP step times out after timeout_seconds), so a live sender never loses its claim; a sender
# that died holding one has its message sent by another once this has passed.
CLAIM_LEASE = timedelta(minutes=5)
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class NotifySettings:
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_from: str = "alongside@localhost"
    base_url: str = "http://127.0.0.1:8000"
    timeout_seconds: float = 10.0
    time_zone: str = "Europe/London"  # appointment times in reminders are written in this zone
    appointment_reminder_hours: float = 24.0  # how long before an appointment its reminder goes
    # Dose day reminders go from this hour of her day (ALONGSIDE_DOSE_REMINDER_HOUR): our choice,
    # a morning reminder for medicines most people take with breakfast.
    dose_reminder_hour: int = 8
    # Hosts a webhook may reach over plain http or at a non-public address (ALONGSIDE_WEBHOOK_ALLOWED_HOSTS).
    webhook_allowed_hosts: frozenset[str] = field(default_factory=frozenset)


def signature(secret: str, timestamp: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def email_for(alert: Alert, purpose: str, settings: NotifySettings) -> EmailMessage:
    message = EmailMessage()
    level = alert.level.value.upper()
    escalated = "ESCALATED: " if purpose == "escalation" else ""
    message["Subject"] = f"{escalated}{level} alert waiting in Alongside"
    message["From"] = settings.smtp_from
    link = f"{settings.base_url}/alerts/{alert.id}"
    waiting = "has not been acknowledged yet" if purpose == "escalation" else "is waiting"
    message.set_content(
        f"A {alert.level.value} alert ({alert.rule.replace('_', ' ')}) for a patient on your caseload {waiting}.\n\n"
        f"Open it in Alongside: {link}\n\n"
        "This email holds no patient details on purpose; sign in to see them.\n")
    return message


def _email(subject: str, body: str, settings: NotifySettings) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = settings.smtp_from
    message.set_content(body)
    return message


def overdue_message_email(patient_id: UUID, thread_id: UUID, settings: NotifySettings) -> EmailMessage:
    """Nothing of the message, its kind or whose it is: only that one is overdue, and where."""
    return _email("A message in Alongside is overdue",
        "A message to your team from a patient on your caseload has passed its response-time target "
        "without an answer.\n\n"
        f"Open it in Alongside: {settings.base_url}/patients/{patient_id}/messages/{thread_id}\n\n"
        "This email holds no patient details on purpose; sign in to see them.\n", settings)


def webhook_body(alert: Alert, purpose: str, settings: NotifySettings) -> bytes:
    return json.dumps({"event": f"alert.{purpose}", "alert_id": str(alert.id), "patient_id": str(alert.patient_id),
                       "level": alert.level.value, "rule": alert.rule, "created_at": alert.created_at.isoformat(),
                       "url": f"{settings.base_url}/alerts/{alert.id}"}, sort_keys=True).encode()


def send_email(to: str, message: EmailMessage, settings: NotifySettings) -> None:
    if not settings.smtp_host:
        raise RuntimeError("No SMTP server is configured (ALONGSIDE_SMTP_HOST)")
    message["To"] = to
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.timeout_seconds) as smtp:
        smtp.send_message(message)


def post_webhook(url: str, body: bytes, secret: str | None, settings: NotifySettings) -> None:
    timestamp = str(int(datetime.now(UTC).timestamp()))
    headers = {"Content-Type": "application/json", "X-Alongside-Timestamp": timestamp}
    if secret:
        headers["X-Alongside-Signature"] = signature(secret, timestamp, body)
    # Checked again now, and sent to the address checked: the name may resolve elsewhere since it
    # was saved. No redirect is followed (one could lead anywhere): an answer of 3xx is a failure.
    target = check_webhook_url(url, settings.webhook_allowed_hosts)
    connection_class = http.client.HTTPSConnection if target.scheme == "https" else http.client.HTTPConnection
    connection = connection_class(target.host, target.port, timeout=settings.timeout_seconds)
    connection._create_connection = lambda address, *args, **kwargs: socket.create_connection(
        (target.address, address[1]), *args, **kwargs)  # TLS still checks the certificate for target.host
    try:
        connection.request("POST", target.path, body=body, headers=headers)
        response = connection.getresponse()
        if response.status >= 300:
            raise RuntimeError(f"webhook answered {response.status}")
    finally:
        connection.close()


def reminder_email(settings: NotifySettings) -> EmailMessage:
    return _email("Your weekly check-in",
        "Your check-in is due. It takes a few minutes, and your team sees your answers.\n\n"
        f"Sign in to do it: {settings.base_url}/\n\n"
        "If something is worrying you now, don't wait for the check-in: call your team, or your 24-hour line.\n", settings)


def password_reset_email(link: str, minutes: int, settings: NotifySettings) -> EmailMessage:
    return _email("Setting a new Alongside password",
        "Someone, probably you, asked to set a new password for your Alongside sign-in.\n\n"
        f"Choose one here: {link}\n\n"
        f"The link works once, for the next {minutes} minutes. Signing in with your old password ends it.\n\n"
        "If you did not ask for this, you can ignore this email: your password stays as it is.\n", settings)


def send_quietly(to: str, message: EmailMessage, settings: NotifySettings) -> bool:
    """Send one email after a request has been answered; a failure is logged, not raised."""
    try:
        send_email(to, message, settings)
    except (OSError, RuntimeError, smtplib.SMTPException) as exc:
        logger.warning("email to a person could not be sent: %s: %s", type(exc).__name__, exc)
        return False
    return True


def send_reminders(uow, settings: NotifySettings, now: datetime | None = None,
                   every: timedelta = timedelta(days=7)) -> int:
    """Remind each patient whose check-in is due, once for each time it falls due (a week after
    her last, or her team's check-in day), unless her teams turned reminders off. A failed send is
    not recorded, so the next pass tries again."""
    now = now or datetime.now(UTC)
    return sum(_remind(uow, email, reminder_email(settings), settings,
                       lambda: uow.alerts.record_reminder(patient_id, for_day, now, email))
               for patient_id, email, for_day in monitoring.check_in_reminders_due(uow, now, every, settings.time_zone))


def _remind(uow, email: str, message: EmailMessage, settings: NotifySettings, record) -> bool:
    """Send one reminder and, only once it has gone, record it (so a failure is retried)."""
    try:
        send_email(email, message, settings)
    except (OSError, RuntimeError, smtplib.SMTPException):
        return False
    record()
    uow.commit()
    return True


def appointment_reminder_email(patient_id: UUID, starts_at: datetime, settings: NotifySettings) -> EmailMessage:
    """Only the time: what the appointment is for and where are behind the sign-in."""
    message = EmailMessage()
    message["Subject"] = "Your appointment is coming up"
    message["From"] = settings.smtp_from
    message.set_content(
        f"You have an appointment on {weekday_date_and_time(starts_at, settings.time_zone)}.\n\n"
        "Sign in to see the details, and to write down anything you want to ask: "
        f"{settings.base_url}/patients/{patient_id}/appointment-preparation\n\n"
        "If you cannot go, please tell the team as soon as you can.\n")
    return message


def send_appointment_reminders(uow, settings: NotifySettings, now: datetime | None = None) -> int:
    """Remind each patient of an appointment starting within the lead time, once per start time.
    A failed send is not recorded, so the next pass tries again while it is still ahead."""
    now = now or datetime.now(UTC)
    lead = timedelta(hours=settings.appointment_reminder_hours)
    return sum(_remind(uow, email, appointment_reminder_email(patient_id, starts_at, settings), settings,
                       lambda: uow.alerts.record_appointment_reminder(appointment_id, starts_at, now, email))
               for appointment_id, patient_id, starts_at, email in uow.alerts.due_appointment_reminders(now, now + lead))


def dose_reminder_email(patient_id: UUID, settings: NotifySettings) -> EmailMessage:
    """No medicine, no dose, nothing of her health: whoever sees her inbox learns only that she
    uses Alongside. What is due is behind the sign-in."""
    message = EmailMessage()
    message["Subject"] = "A reminder from Alongside"
    message["From"] = settings.smtp_from
    message.set_content(
        "This is the reminder you asked for.\n\n"
        f"Sign in to see it: {settings.base_url}/patients/{patient_id}\n\n"
        "You can turn these reminders off in Alongside at any time.\n")
    return message


def send_dose_reminders(uow, settings: NotifySettings, now: datetime | None = None) -> int:
    """One email on each of her dose days, from `dose_reminder_hour` in her time zone, to those
    who chose it. A failed send is not recorded, so the next pass tries again that day."""
    now = now or datetime.now(UTC)
    return sum(_remind(uow, email, dose_reminder_email(patient_id, settings), settings,
                       lambda: uow.dose_diary.record_reminder(patient_id, day, now, email))
               for patient_id, day, email in dose_diary.due_dose_reminders(uow, now, settings.dose_reminder_hour))


def send_due(uow, settings: NotifySettings, now: datetime | None = None, never_tried: bool = False) -> tuple[int, int]:
    """Send what the outbox holds; each message is tried up to MAX_ATTEMPTS times. Returns (sent, failed).

    Several senders may run at once (each worker's sender at commit, the monitor pass): each
    message is claimed, and the claim committed, before it is sent, so only one of them sends
    it. `never_tried`: only messages not yet attempted (see NotificationRepository.due)."""
    now = now or datetime.now(UTC)
    sent = failed = 0
    secrets = {team.webhook_url: team.webhook_secret for team in uow.teams.all_settings() if team.webhook_url}
    for item in uow.notifications.due(MAX_ATTEMPTS, never_tried=never_tried):
        claimed = uow.notifications.claim(item.id, MAX_ATTEMPTS, CLAIM_LEASE)
        uow.commit()  # the claim is seen by every other sender before this one sends (or ends a failed one's write)
        if not claimed:
            continue  # another sender has it
        try:
            if item.alert is None:
                send_email(item.target, overdue_message_email(item.patient_id, item.thread_id, settings), settings)
            elif item.channel == "email":
                send_email(item.target, email_for(item.alert, item.purpose, settings), settings)
            else:
                post_webhook(item.target, webhook_body(item.alert, item.purpose, settings), secrets.get(item.target), settings)
            error = None
            sent += 1
        except (OSError, RuntimeError, smtplib.SMTPException, http.client.HTTPException, InvalidInput) as exc:
            error = f"{type(exc).__name__}: {exc}"
            failed += 1
        uow.notifications.record_attempt(item.id, now, error)
        uow.commit()  # each message's outcome is kept even if a later one fails
    return sent, failed
