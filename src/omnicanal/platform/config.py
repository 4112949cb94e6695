"""Settings, read once from the environment (``OMNICANAL_*``)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything omnicanal can be told from outside, with embedded defaults."""

    model_config = SettingsConfigDict(env_prefix="OMNICANAL_", extra="ignore")

    data_dir: Path = Field(default=Path("data"), description="Folder for the embedded SQLite file.")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default: SQLite (WAL) in data_dir."
    )
    bus_url: str = Field(default="memory://", description="memory:// or nats://host:4222")
    nats_stream: str = "OMNICANAL"
    nats_subject_prefix: str = "omnicanal.events"
    nats_duplicate_window_seconds: int = 3600
    reservation_ttl_seconds: int = Field(default=900, ge=1)
    low_stock_threshold: int = Field(default=3, ge=0)
    relay_batch_size: int = Field(default=500, ge=1)
    relay_poll_seconds: float = Field(default=0.5, gt=0)
    relay_linger_seconds: float = Field(
        default=0.1,
        ge=0,
        le=1,
        description=(
            "How long the relay, woken by a commit, lets the next commits' events join before "
            "it reads the outbox: fewer, larger batches for every consumer (0: at once)."
        ),
    )
    sweep_interval_seconds: float = Field(default=30.0, gt=0)
    message_send_interval_seconds: float = Field(
        default=5.0, gt=0, description="How often the messages whose time has come are sent."
    )
    default_currency: str = "EUR"
    business_time_zone: str = Field(
        default="Europe/Paris",
        description=(
            "IANA time zone of the head-office views that span the network (their days and "
            "times); anything about one store uses that location's own timezone."
        ),
    )
    phone_region: str = Field(
        default="FR", description="Region assumed for phone numbers typed without +country."
    )
    tracking_max_batch_bytes: int = Field(
        default=512_000,
        ge=1024,
        description="Largest tracking request body, decompressed (Segment: 500 KB).",
    )
    tracking_max_batch_messages: int = Field(
        default=2_500, ge=1, description="Most messages in one tracking batch (Segment: 2,500)."
    )
    import_max_bytes: int = Field(
        default=8 * 1024 * 1024,
        ge=1024,
        le=256 * 1024 * 1024,
        description="Largest CSV file the import endpoints take (POST /v1/imports/...).",
    )
    tracking_max_message_bytes: int = Field(
        default=32_768, ge=256, description="Largest single tracking message (Segment: 32 KB)."
    )
    identity_blocked_values: list[str] = Field(
        default_factory=list,
        description=(
            "Identifier values that never link anyone, besides the shipped placeholders and "
            'generic addresses, as JSON: ["email:accueil.lyon@magasin.fr", "phone:0472000000", '
            '"loyalty_card:STAFF0001"].'
        ),
    )
    pool_size: int = 20
    rate_limit_per_minute: int = Field(
        default=6000,
        ge=0,
        le=1_000_000,
        description=(
            "Requests a minute an API key may send to the REST API unless the key has its own "
            "rate (omnicanal keys rate), in bursts of ten seconds' worth (at least 10); "
            "0: no limit. Each API process counts on its own."
        ),
    )
    retention_tracking_days: int = Field(
        default=395, ge=1, description="Tracking messages and browsing history (CNIL: 13 months)."
    )
    retention_anonymous_profile_days: int = Field(
        default=395, ge=1, description="Anonymous visitors, after their last activity."
    )
    retention_customer_days: int = Field(
        default=1095, ge=1, description="Customers, 3 years after their last contact: erased."
    )
    retention_order_identity_days: int = Field(
        default=3653, ge=1, description="Orders keep the customer's identity 10 years, then not."
    )
    retention_idempotency_days: int = Field(default=7, ge=1)
    retention_event_log_days: int = Field(
        default=30, ge=1, description="Published outbox events and handled event ids."
    )
    retention_audit_days: int = Field(default=365, ge=1)
    privacy_sweep_interval_seconds: float = Field(
        default=3600.0, gt=0, description="How often the retention periods are enforced."
    )
    smtp_url: str | None = Field(
        default=None,
        description=(
            "The SMTP relay e-mails (receipts) go through: smtp://host:25, "
            "smtp+starttls://user:password@host:587 or smtps://user:password@host:465. "
            "Unset: no e-mail is sent."
        ),
    )
    smtp_from: str = Field(
        default="omnicanal <no-reply@localhost>", description="The sender of the e-mails."
    )
    email_provider: Literal["auto", "smtp", "brevo", "mailbox"] = Field(
        default="auto",
        description=(
            "Who delivers the messages' e-mails: smtp (the relay of smtp_url), brevo (its "
            "API), mailbox (kept in omnicanal, shown in the back office); auto: smtp when "
            "smtp_url is set, else mailbox."
        ),
    )
    sms_provider: Literal["mailbox", "brevo", "webhook"] = Field(
        default="mailbox",
        description="Who delivers the SMS: mailbox, brevo or webhook (sms_webhook_url).",
    )
    push_provider: Literal["mailbox", "webhook"] = Field(
        default="mailbox",
        description="Who delivers the push notifications: mailbox or webhook (push_webhook_url).",
    )
    brevo_api_key: str | None = Field(
        default=None, description="The API key of the Brevo account (its 'api-key' header)."
    )
    brevo_url: str = Field(
        default="https://api.brevo.com/v3", description="The base URL of Brevo's API."
    )
    sms_sender: str = Field(
        default="omnicanal",
        pattern=r"^([A-Za-z0-9 ]{3,11}|\d{3,15})$",
        description="The SMS sender: 3 to 11 letters and digits, or a number of up to 15 digits.",
    )
    sms_webhook_url: str | None = Field(
        default=None, description="The SMS gateway's signed webhook (sms_provider=webhook)."
    )
    push_webhook_url: str | None = Field(
        default=None, description="The push service's signed webhook (push_provider=webhook)."
    )
    message_webhook_secret: str | None = Field(
        default=None,
        description=(
            "Signs the messages posted to the webhooks and checks the feedback they send back "
            "(Standard Webhooks; a 'whsec_' secret is read as base64)."
        ),
    )
    delivery_feedback_token: str | None = Field(
        default=None,
        description=(
            "The token Brevo's webhooks present (?token= or a Bearer header) when they report "
            "deliveries, bounces, complaints and unsubscriptions. Unset: none is accepted."
        ),
    )
    cors_origins: list[str] = Field(
        default_factory=list,
        description=(
            "Web origins whose pages may call the API from the browser (the web shop's "
            'analytics.js sending to /v1/batch), as JSON: ["https://shop.example"]. '
            "None by default."
        ),
    )
    metrics_enabled: bool = Field(
        default=True,
        description=(
            "Serve Prometheus metrics at /metrics (no key asked: keep it off the internet)."
        ),
    )
    otel_enabled: bool = Field(
        default=False,
        description=(
            "Trace requests and SQL with OpenTelemetry (pip install 'omnicanal[observability]'),"
            " exported as the standard OTEL_* variables say (OTEL_EXPORTER_OTLP_ENDPOINT)."
        ),
    )
    log_format: Literal["auto", "json", "console"] = Field(
        default="auto",
        description="Logs of serve and worker: json, console, or auto (json unless a terminal).",
    )
    secret_key: str | None = Field(
        default=None,
        description=(
            "Signs the tokens omnicanal hands out (postal return authorisations, the "
            "customers' preference and unsubscribe links). Unset: a random key kept in "
            "data_dir/secret_key; set the same one on every process of a deployment."
        ),
    )
    public_url: str = Field(
        default="http://127.0.0.1:8000",
        pattern=r"^https?://[^\s/?#]+(/[^\s?#]*)?$",
        max_length=200,
        description=(
            "The address customers reach omnicanal's public pages at (the preference centre "
            "and one-click unsubscribe links in the messages): https://shop.example/omnicanal."
        ),
    )
    returns_window_days: int = Field(
        default=30, ge=0, le=3650, description="Days a customer has to return an item."
    )
    returns_window_days_by_channel: dict[str, int] = Field(
        default_factory=dict,
        description='Another window for the items bought on a channel, as JSON: {"web": 30}.',
    )
    returns_window_days_by_category: dict[str, int] = Field(
        default_factory=lambda: {"Lingerie": 14, "Maillots de bain": 14},
        description="A shorter window for some product categories, as JSON.",
    )
    returns_high_value_line_minor: int = Field(
        default=50_000, ge=0, description="A return line worth more than this is reviewed."
    )
    returns_high_value_total_minor: int = Field(
        default=100_000, ge=0, description="A return worth more than this is reviewed."
    )
    returns_authorisation_days: int = Field(
        default=30, ge=1, le=365, description="How long a postal return label stays valid."
    )
    webhooks_allow_private_urls: bool = Field(
        default=False,
        description=(
            "Let webhook endpoints be local or private addresses (localhost, 10.x, *.internal; "
            "http allowed to those only): a receiver on the retailer's own network, or a "
            "test. Off: public https addresses only, checked again when sending."
        ),
    )
    webhook_send_interval_seconds: float = Field(
        default=5.0, gt=0, description="How often the webhook deliveries that are due are sent."
    )
    webhook_timeout_seconds: float = Field(
        default=10.0, gt=0, le=60, description="How long an endpoint has to answer a delivery."
    )
    webhook_give_up_hours: float = Field(
        default=24.0,
        gt=0,
        le=24 * 14,
        description="A delivery not answered 2xx by then goes to the dead-letter list.",
    )
    webhook_disable_after_hours: float = Field(
        default=48.0,
        gt=0,
        le=24 * 60,
        description="An endpoint failing this long (and this many calls in a row) is disabled.",
    )
    webhook_disable_after_failures: int = Field(
        default=20, ge=1, le=100_000, description="The calls in a row of that rule."
    )
    webhook_retention_days: int = Field(
        default=30, ge=1, description="How long delivered and dead webhook deliveries are kept."
    )

    @field_validator("business_time_zone")
    @classmethod
    def _known_time_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown IANA time zone {value!r}") from error
        return value

    @model_validator(mode="after")
    def _delivery_configured(self) -> Settings:
        # Refused at start, in one sentence, rather than at the first message's send.
        brevo = "OMNICANAL_BREVO_API_KEY (the Brevo account's API key)"
        needs = {
            "OMNICANAL_EMAIL_PROVIDER=smtp": (
                self.email_provider == "smtp" and not self.smtp_url,
                "OMNICANAL_SMTP_URL (the relay)",
            ),
            "OMNICANAL_EMAIL_PROVIDER=brevo": (
                self.email_provider == "brevo" and not self.brevo_api_key,
                brevo,
            ),
            "OMNICANAL_SMS_PROVIDER=brevo": (
                self.sms_provider == "brevo" and not self.brevo_api_key,
                brevo,
            ),
            "OMNICANAL_SMS_PROVIDER=webhook": (
                self.sms_provider == "webhook" and not self.sms_webhook_url,
                "OMNICANAL_SMS_WEBHOOK_URL (the gateway's address)",
            ),
            "OMNICANAL_PUSH_PROVIDER=webhook": (
                self.push_provider == "webhook" and not self.push_webhook_url,
                "OMNICANAL_PUSH_WEBHOOK_URL (the push service's address)",
            ),
            "A webhook provider": (
                "webhook" in (self.sms_provider, self.push_provider)
                and not self.message_webhook_secret,
                "OMNICANAL_MESSAGE_WEBHOOK_SECRET (the secret that signs its messages)",
            ),
        }
        for setting, (missing, needed) in needs.items():
            if missing:
                raise ValueError(f"{setting} needs {needed}: set it or choose another provider.")
        return self

    @property
    def business_zone(self) -> ZoneInfo:
        """:attr:`business_time_zone` as a ``tzinfo``."""
        return ZoneInfo(self.business_time_zone)

    def resolved_secret_key(self) -> str:
        """The key that signs tokens: the configured one, else the one kept in ``data_dir``
        (created, readable by its owner only, the first time one is needed)."""
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret_key"
        try:
            return path.read_text().strip()
        except FileNotFoundError:
            pass
        path.parent.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f".secret_key.{os.getpid()}.{secrets.token_hex(4)}")
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as file:
            file.write(secrets.token_urlsafe(48))
        try:
            # A hard link appears whole or not at all: processes starting at once all keep
            # the first one's key.
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
        return path.read_text().strip()

    def resolved_database_url(self) -> str:
        """The database URL in force: the configured one, or the embedded SQLite file."""
        if self.database_url:
            return normalise_database_url(self.database_url)
        return f"sqlite:///{(self.data_dir / 'omnicanal.db').resolve()}"


def normalise_database_url(url: str) -> str:
    """Point plain PostgreSQL URLs at the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url
