"""``spec.alerts``: the alert policy (cooldown, escalation, rate limit) and where alerts go.

Credentials are only ever Secret references (``secretKeyRef``-style ``{name, key}`` in the
monitor's namespace). A spec carrying a plain-text URL, token or password is rejected with
a message saying which ``...SecretRef`` field to use instead, because whatever sits in a
spec is readable by everyone who can ``kubectl get`` the monitor and ends up in git.
"""

from __future__ import annotations

import dataclasses
import re
import urllib.parse
from typing import Any, Literal

import pydantic

from modelmon.api.base import SpecModel
from modelmon.api.durations import Duration, parse_duration
from modelmon.api.secret_refs import SecretKeyRef

AlertSeverity = Literal["info", "warning", "critical"]
"""An alert's severity, lowest first (the alert policy ranks them; sinks filter on them)."""
AlertType = Literal["drift", "performance", "dataQuality", "dataUnavailable", "retraining", "rollout"]
"""What an alert is about (status.alerts[].type)."""


@dataclasses.dataclass(frozen=True, kw_only=True)
class AlertPolicy:
    """spec.alerts as the alert policy (policies/alerts.py) takes it: durations in seconds."""

    cooldown_seconds: float = 4 * 3600.0
    escalate_after: int = 3
    max_notifications_per_hour: int = 20
    max_alerts: int = 50


SinkType = Literal["alertmanager", "slack", "webhook", "email"]
SINK_TYPES: tuple[SinkType, ...] = ("alertmanager", "slack", "webhook", "email")
DNS_LABEL = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
DNS_SUBDOMAIN = r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$"
LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
EMAIL = re.compile(r"^[^@\s<>,;]+@[^@\s<>,;]+$")
#: Headers the webhook sink sets itself; a configured header must not forge or break them.
RESERVED_HEADERS = frozenset({"content-type", "content-length", "host", "x-modelmon-signature",
                              "x-modelmon-timestamp", "user-agent"})
#: Labels the Alertmanager sink sets itself (they identify the alert, so they cannot be overridden).
RESERVED_LABELS = frozenset({"alertname", "namespace", "monitor", "model", "type", "subject", "severity", "alert_id"})


def _no_plain_secrets(raw: Any, fields: dict[str, str]) -> Any:
    """Reject plain-text credential fields with a message naming the SecretRef to use."""
    if isinstance(raw, dict):
        for plain, ref in fields.items():
            if plain in raw:
                raise ValueError(f"{plain} is not accepted in plain text (a spec is readable by anyone who can get "
                                 f"the monitor): store it in a Secret and set {ref}: {{name: ..., key: ...}}")
    return raw


class BasicAuth(SpecModel):
    """HTTP basic authentication, both parts from Secrets."""

    username_secret_ref: SecretKeyRef
    """Secret key holding the user name."""
    password_secret_ref: SecretKeyRef
    """Secret key holding the password."""

    @pydantic.model_validator(mode="before")
    @classmethod
    def _plain(cls, raw: Any) -> Any:
        return _no_plain_secrets(raw, {"username": "usernameSecretRef", "password": "passwordSecretRef"})


class TLSConfig(SpecModel):
    """How the server's certificate is verified (the system's CAs by default)."""

    ca_secret_ref: SecretKeyRef | None = None
    """Secret key holding PEM CA certificates to trust instead of the system's (private CAs, self-signed servers)."""


class AlertmanagerSink(SpecModel):
    """Prometheus Alertmanager, through its API v2 (``POST /api/v2/alerts``)."""

    url: str = pydantic.Field(min_length=1, max_length=2048)
    """Alertmanager's base URL, e.g. http://alertmanager.monitoring:9093 (an address, not a credential:
    authentication goes in bearerTokenSecretRef or basicAuth)."""
    bearer_token_secret_ref: SecretKeyRef | None = None
    """Secret key holding a bearer token sent as ``Authorization: Bearer``."""
    basic_auth: BasicAuth | None = None
    """HTTP basic authentication."""
    tls: TLSConfig | None = None
    """Verification of an https URL's certificate."""
    labels: dict[str, str] = pydantic.Field(default_factory=dict)
    """Extra labels on every alert (e.g. team, cluster) for Alertmanager's routing."""
    expire_after: Duration = "24h"
    """A firing alert not sent again within this time is resolved by Alertmanager itself (its endsAt),
    so alerts of a stopped operator do not fire forever. Must be longer than the policy's cooldown:
    a firing alert is re-sent only after the cooldown."""

    @pydantic.model_validator(mode="before")
    @classmethod
    def _plain(cls, raw: Any) -> Any:
        return _no_plain_secrets(raw, {"bearerToken": "bearerTokenSecretRef", "token": "bearerTokenSecretRef",
                                       "password": "basicAuth.passwordSecretRef"})

    @pydantic.field_validator("url")
    @classmethod
    def _address(cls, value: str) -> str:
        parts = urllib.parse.urlsplit(value)
        if "@" in (parts.netloc or value.split("/")[0]):
            # Checked first, and the value is not repeated: it holds a credential (also when the scheme is missing).
            raise ValueError("the URL carries a user name or password; remove it and use basicAuth "
                             "(usernameSecretRef/passwordSecretRef) or bearerTokenSecretRef")
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{value!r} is not an http(s) URL; write e.g. http://alertmanager.monitoring:9093")
        if parts.query or parts.fragment:
            raise ValueError("write Alertmanager's base URL without a query or fragment "
                             "(/api/v2/alerts is appended)")
        return value

    @pydantic.field_validator("labels")
    @classmethod
    def _label_names(cls, value: dict[str, str]) -> dict[str, str]:
        for name in value:
            if not LABEL_NAME.match(name):
                raise ValueError(f"label {name!r} is not a Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*)")
            if name in RESERVED_LABELS:
                raise ValueError(f"label {name!r} is set by modelmon to identify the alert; choose another name")
        return value

    @pydantic.model_validator(mode="after")
    def _one_auth(self) -> AlertmanagerSink:
        if self.bearer_token_secret_ref is not None and self.basic_auth is not None:
            raise ValueError("set at most one of bearerTokenSecretRef and basicAuth")
        return self


class SlackSink(SpecModel):
    """A Slack incoming webhook."""

    webhook_url_secret_ref: SecretKeyRef
    """Secret key holding the incoming webhook's URL (https://hooks.slack.com/services/...): the URL is the
    credential."""
    channel: str | None = pydantic.Field(default=None, max_length=80)
    """Channel override, where the webhook allows it (e.g. #ml-alerts)."""
    username: str | None = pydantic.Field(default=None, max_length=80)
    """Name the message is posted under, where the webhook allows it."""

    @pydantic.model_validator(mode="before")
    @classmethod
    def _plain(cls, raw: Any) -> Any:
        return _no_plain_secrets(raw, {"webhookUrl": "webhookUrlSecretRef", "url": "webhookUrlSecretRef"})


class HeaderFromSecret(SpecModel):
    """An HTTP header whose value comes from a Secret (e.g. an API key)."""

    name: str = pydantic.Field(min_length=1, max_length=128)
    """Header name."""
    value_secret_ref: SecretKeyRef
    """Secret key holding the header's value."""

    @pydantic.field_validator("name")
    @classmethod
    def _header(cls, value: str) -> str:
        if not HEADER_NAME.match(value):
            raise ValueError(f"{value!r} is not an HTTP header name")
        if value.lower() in RESERVED_HEADERS:
            raise ValueError(f"header {value!r} is set by modelmon itself; choose another name")
        return value

    @pydantic.model_validator(mode="before")
    @classmethod
    def _plain(cls, raw: Any) -> Any:
        return _no_plain_secrets(raw, {"value": "valueSecretRef"})


class WebhookSink(SpecModel):
    """A generic webhook: a JSON POST (schema in docs/alerts.md), optionally HMAC-signed."""

    url_secret_ref: SecretKeyRef
    """Secret key holding the URL to POST to (URLs of webhooks often embed a token)."""
    hmac_secret_ref: SecretKeyRef | None = None
    """Secret key holding the HMAC key: each request then carries ``X-Modelmon-Timestamp: <unix seconds>`` and
    ``X-Modelmon-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">``."""
    headers: list[HeaderFromSecret] = pydantic.Field(default_factory=list, max_length=16)
    """Extra headers, values from Secrets."""
    tls: TLSConfig | None = None
    """Verification of an https URL's certificate."""

    @pydantic.model_validator(mode="before")
    @classmethod
    def _plain(cls, raw: Any) -> Any:
        return _no_plain_secrets(raw, {"url": "urlSecretRef", "hmacSecret": "hmacSecretRef",
                                       "secret": "hmacSecretRef"})

    @pydantic.field_validator("headers")
    @classmethod
    def _unique_headers(cls, value: list[HeaderFromSecret]) -> list[HeaderFromSecret]:
        names = [h.name.lower() for h in value]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"headers listed twice: {', '.join(twice)}")
        return value


class EmailSink(SpecModel):
    """Email over SMTP."""

    host: str = pydantic.Field(min_length=1, max_length=253)
    """SMTP server's host name."""
    port: int = pydantic.Field(default=587, ge=1, le=65535)
    """SMTP server's port (587 for submission with STARTTLS, 25 for relays)."""
    from_: str = pydantic.Field(alias="from", max_length=254)
    """Sender address."""
    to: list[str] = pydantic.Field(min_length=1, max_length=50)
    """Recipient addresses."""
    starttls: bool = True
    """Upgrade the connection with STARTTLS before anything else is sent (refuse to send if the server cannot)."""
    tls: TLSConfig | None = None
    """Verification of the server's certificate for STARTTLS."""
    username_secret_ref: SecretKeyRef | None = None
    """Secret key holding the SMTP user name (AUTH); with passwordSecretRef."""
    password_secret_ref: SecretKeyRef | None = None
    """Secret key holding the SMTP password; with usernameSecretRef."""

    @pydantic.model_validator(mode="before")
    @classmethod
    def _plain(cls, raw: Any) -> Any:
        return _no_plain_secrets(raw, {"password": "passwordSecretRef", "username": "usernameSecretRef"})

    @pydantic.field_validator("from_")
    @classmethod
    def _sender(cls, value: str) -> str:
        if not EMAIL.match(value):
            raise ValueError(f"{value!r} is not an email address")
        return value

    @pydantic.field_validator("to")
    @classmethod
    def _recipients(cls, value: list[str]) -> list[str]:
        for address in value:
            if not EMAIL.match(address):
                raise ValueError(f"{address!r} is not an email address")
        return value

    @pydantic.model_validator(mode="after")
    def _auth_pair(self) -> EmailSink:
        if (self.username_secret_ref is None) != (self.password_secret_ref is None):
            raise ValueError("set both usernameSecretRef and passwordSecretRef for SMTP AUTH, or neither")
        if self.password_secret_ref is not None and not self.starttls:
            raise ValueError("SMTP AUTH needs starttls: true (a password is never sent over plain text)")
        return self


class SinkSpec(SpecModel):
    """One place alerts go: exactly one of alertmanager, slack, webhook or email."""

    name: str = pydantic.Field(min_length=1, max_length=63, pattern=DNS_LABEL)
    """Name of the sink, unique in the monitor (shown in status.alertSinks and the metrics)."""
    min_severity: AlertSeverity = "warning"
    """Alerts below this severity are not sent here (their resolution neither)."""
    max_notifications_per_hour: int | None = pydantic.Field(default=None, ge=1, le=3600)
    """Messages per hour to this sink; more wait in the sink's queue. Unlimited when absent (the monitor's
    own limit still applies)."""
    alertmanager: AlertmanagerSink | None = None
    """Send to Prometheus Alertmanager."""
    slack: SlackSink | None = None
    """Send to a Slack incoming webhook."""
    webhook: WebhookSink | None = None
    """POST JSON to a webhook."""
    email: EmailSink | None = None
    """Send email over SMTP."""

    @pydantic.model_validator(mode="after")
    def _exactly_one(self) -> SinkSpec:
        chosen = [t for t in SINK_TYPES if getattr(self, t) is not None]
        if len(chosen) != 1:
            raise ValueError(f"set exactly one of {', '.join(SINK_TYPES)} (found "
                             f"{', '.join(chosen) if chosen else 'none'})")
        return self

    @property
    def type(self) -> SinkType:
        return next(t for t in SINK_TYPES if getattr(self, t) is not None)


class AlertsSpec(SpecModel):
    """Alert policy and sinks. Kubernetes Events are always posted; sinks are extra."""

    cooldown: Duration = "4h"
    """An unchanged alert is sent again only after this time (a rise in severity is sent at once)."""
    escalate_after: int = pydantic.Field(default=3, ge=1, le=1000)
    """A warning observed in this many consecutive checks becomes critical."""
    max_notifications_per_hour: int = pydantic.Field(default=20, ge=1, le=1000)
    """Alert notifications per hour for this monitor; the rest are held back (and counted), the alert state
    is still updated."""
    max_alerts: int = pydantic.Field(default=50, ge=1, le=500)
    """Alerts kept in status.alerts; resolved ones drop first, oldest first."""
    sinks: list[SinkSpec] = pydantic.Field(default_factory=list, max_length=20)
    """Where notifications go, each with its own minimum severity."""

    @pydantic.field_validator("sinks")
    @classmethod
    def _unique_names(cls, value: list[SinkSpec]) -> list[SinkSpec]:
        names = [s.name for s in value]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"sink names must be unique; listed twice: {', '.join(twice)}")
        return value

    @pydantic.model_validator(mode="after")
    def _expiry_outlasts_cooldown(self) -> AlertsSpec:
        cooldown = parse_duration(self.cooldown)
        for sink in self.sinks:
            if sink.alertmanager is not None and parse_duration(sink.alertmanager.expire_after) <= cooldown:
                raise ValueError(f"sinks[{sink.name}].alertmanager.expireAfter ({sink.alertmanager.expire_after}) must "
                                 f"be longer than cooldown ({self.cooldown}), or Alertmanager resolves alerts that "
                                 f"are still firing")
        return self

    def policy(self) -> AlertPolicy:
        return AlertPolicy(cooldown_seconds=parse_duration(self.cooldown), escalate_after=self.escalate_after,
                           max_notifications_per_hour=self.max_notifications_per_hour, max_alerts=self.max_alerts)


def parse_alerts(raw: dict[str, Any] | None) -> AlertsSpec:
    return AlertsSpec.model_validate(raw or {})
