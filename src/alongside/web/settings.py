"""Settings read once at start-up from the environment."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from importlib.resources import files
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from ..clinical.supportive_care import SupportiveCareThresholds
from ..clinical.red_flags import FEVER_RULE_DAYS_AFTER_TREATMENT
from ..domain.accounts import SessionPolicy
from ..domain.monitoring import MonitoringSettings
from ..domain.single_sign_on import ClaimMapping
from ..notify import NotifySettings
from ..notify.webhook_targets import allowed_hosts_from
from ..domain.documents import DEFAULT_MAX_UPLOAD_BYTES
from ..domain.records import EARLY_DATE_MARGIN
from ..store.database import DEFAULT_DATA_DIR, default_database_url


def load_bank_holidays(path: str | None = None) -> frozenset[date]:
    """Every date listed in the file (any region key), so a service can list its own."""
    text = Path(path).read_text(encoding="utf-8") if path else \
        files("alongside.content").joinpath("bank_holidays.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text) or {}
    days = [day for region in data.values() for day in region]
    if not all(isinstance(day, date) for day in days):
        raise ValueError("bank holidays must be dates written as YYYY-MM-DD")
    return frozenset(days)


def _listed(name: str) -> tuple[str, ...]:
    """A comma-separated environment variable as a tuple (empty if unset)."""
    return tuple(item.strip() for item in os.environ.get(name, "").split(",") if item.strip())


def _system_clock() -> datetime:
    return datetime.now(UTC)


def _clock_from_environment() -> Callable[[], datetime]:
    """ALONGSIDE_FIXED_TIME pins the clock, for demonstrations and browser tests only."""
    fixed = os.environ.get("ALONGSIDE_FIXED_TIME")
    if not fixed:
        return _system_clock
    moment = datetime.fromisoformat(fixed)
    if moment.tzinfo is None:
        raise ValueError("ALONGSIDE_FIXED_TIME needs a UTC offset")
    return lambda: moment


@dataclass(frozen=True)
class SingleSignOnSettings:
    """The hospital's OpenID provider, for staff (docs/admin-guide.md). Off unless an issuer is set."""

    issuer: str
    client_id: str
    client_secret: str
    # Shown on the button: "Sign in with NHS Care Identity".
    provider_name: str = "your organisation's account"
    scopes: tuple[str, ...] = ("openid", "email", "profile")
    mapping: ClaimMapping = field(default_factory=ClaimMapping)

    @classmethod
    def from_environment(cls) -> SingleSignOnSettings | None:
        issuer = os.environ.get("ALONGSIDE_OIDC_ISSUER", "").strip().rstrip("/")
        if not issuer:
            return None
        if not (os.environ.get("ALONGSIDE_OIDC_CLIENT_ID") and os.environ.get("ALONGSIDE_OIDC_CLIENT_SECRET")):
            raise ValueError("ALONGSIDE_OIDC_ISSUER needs ALONGSIDE_OIDC_CLIENT_ID and ALONGSIDE_OIDC_CLIENT_SECRET")
        # Keys, tokens and the client secret cross this connection: plain http only on this machine.
        if urlsplit(issuer).scheme != "https" and urlsplit(issuer).hostname not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError("ALONGSIDE_OIDC_ISSUER must be an https:// address")
        defaults = ClaimMapping()
        mapping = ClaimMapping(
            team_claim=os.environ.get("ALONGSIDE_OIDC_TEAM_CLAIM", defaults.team_claim),
            team_prefix=os.environ.get("ALONGSIDE_OIDC_TEAM_PREFIX", defaults.team_prefix),
            role_claim=os.environ.get("ALONGSIDE_OIDC_ROLE_CLAIM", defaults.role_claim),
            clinician_values=_listed("ALONGSIDE_OIDC_CLINICIAN_VALUES") or defaults.clinician_values,
            admin_values=_listed("ALONGSIDE_OIDC_ADMIN_VALUES"),
            create_accounts=os.environ.get("ALONGSIDE_OIDC_CREATE_ACCOUNTS", "true").lower() not in {"0", "false", "no"})
        return cls(issuer=issuer, client_id=os.environ["ALONGSIDE_OIDC_CLIENT_ID"],
                   client_secret=os.environ["ALONGSIDE_OIDC_CLIENT_SECRET"],
                   provider_name=os.environ.get("ALONGSIDE_OIDC_PROVIDER_NAME") or cls.provider_name,
                   scopes=tuple(os.environ.get("ALONGSIDE_OIDC_SCOPES", "openid email profile").replace(",", " ").split()),
                   mapping=mapping)


@dataclass(frozen=True)
class Settings:
    database_url: str = field(default_factory=default_database_url)
    service_time_zone: str = "Europe/London"
    # Secure cookies need HTTPS; the demo on http://127.0.0.1 turns this off explicitly.
    cookie_secure: bool = True
    max_body_bytes: int = 1_000_000
    policy: SessionPolicy = field(default_factory=SessionPolicy)
    monitoring: MonitoringSettings = field(default_factory=lambda: MonitoringSettings(bank_holidays=load_bank_holidays()))
    notify: NotifySettings = field(default_factory=NotifySettings)
    # Seconds between runs of the background monitor (escalations, missed check-ins, outbox); 0 = off.
    monitor_interval: float = 0
    # Send an alert's messages as soon as the check-in that raised it commits (web.monitor.
    # send_at_commit), the monitor pass staying as the backstop. Off here, as the monitor is, so
    # a test app sends nothing unless asked; from_environment turns it on (ALONGSIDE_SEND_AT_COMMIT).
    send_at_commit: bool = False
    clock: Callable[[], datetime] = _system_clock
    # Uploaded documents live under data_dir/documents, outside the web root.
    data_dir: Path = field(default_factory=lambda: Path(os.environ.get("ALONGSIDE_DATA_DIR", DEFAULT_DATA_DIR)))
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES
    supportive_care: SupportiveCareThresholds = field(default_factory=SupportiveCareThresholds)
    support_file: str | None = None  # national helplines and teams' local services; content/support.yaml if None
    # An entry dated more than this before the first diagnosis must be confirmed (docs/clinical-rules.md).
    early_date_margin: timedelta = EARLY_DATE_MARGIN
    # Where people reach the service. Links put in invitations and emails are built from it, never
    # from a request's Host header, and a request for any other host is refused (400).
    public_url: str = "http://127.0.0.1:8000"
    # Hosts answered besides the public URL's. The default is Starlette's test client's;
    # from_environment reads ALONGSIDE_ALLOWED_HOSTS (none unless set).
    allowed_hosts: tuple[str, ...] = ("testserver",)
    # Proxies whose X-Forwarded-For is believed (addresses or networks); from anyone else the
    # header is ignored and a client is its connection's address (sign-in counting is by client).
    forwarded_allow_ips: tuple[str, ...] = ()
    # How many timelines each worker keeps for a second look at an unchanged record (hazard H58);
    # 0 keeps none. ALONGSIDE_KEPT_TIMELINES.
    kept_timelines: int = 32
    # Staff single sign-on through the hospital's OpenID provider; None: passwords only.
    single_sign_on: SingleSignOnSettings | None = None

    @classmethod
    def from_environment(cls, **overrides) -> Settings:
        zone = os.environ.get("ALONGSIDE_TIME_ZONE", "Europe/London")
        public_url = (os.environ.get("ALONGSIDE_PUBLIC_URL") or os.environ.get("ALONGSIDE_BASE_URL")
                      or "http://127.0.0.1:8000").rstrip("/")
        values = dict(
            database_url=default_database_url(),
            service_time_zone=zone,
            kept_timelines=int(os.environ.get("ALONGSIDE_KEPT_TIMELINES", "32")),
            cookie_secure=os.environ.get("ALONGSIDE_COOKIE_SECURE", "true").lower() not in {"0", "false", "no"},
            monitoring=MonitoringSettings(bank_holidays=load_bank_holidays(os.environ.get("ALONGSIDE_BANK_HOLIDAYS")),
                                          time_zone=zone,
                                          fever_rule_days_after_treatment=int(os.environ.get(
                                              "ALONGSIDE_FEVER_RULE_DAYS_AFTER_TREATMENT",
                                              FEVER_RULE_DAYS_AFTER_TREATMENT))),
            notify=NotifySettings(smtp_host=os.environ.get("ALONGSIDE_SMTP_HOST"),
                                  smtp_port=int(os.environ.get("ALONGSIDE_SMTP_PORT", "25")),
                                  smtp_from=os.environ.get("ALONGSIDE_SMTP_FROM", "alongside@localhost"),
                                  base_url=public_url,
                                  time_zone=zone,
                                  appointment_reminder_hours=float(
                                      os.environ.get("ALONGSIDE_APPOINTMENT_REMINDER_HOURS", "24")),
                                  dose_reminder_hour=int(os.environ.get("ALONGSIDE_DOSE_REMINDER_HOUR", "8")),
                                  webhook_allowed_hosts=allowed_hosts_from(
                                      os.environ.get("ALONGSIDE_WEBHOOK_ALLOWED_HOSTS"))),
            monitor_interval=float(os.environ.get("ALONGSIDE_MONITOR_INTERVAL", "60")),
            send_at_commit=os.environ.get("ALONGSIDE_SEND_AT_COMMIT", "true").lower() not in {"0", "false", "no"},
            policy=SessionPolicy(
                reset_link_lifetime=timedelta(minutes=float(os.environ.get(
                    "ALONGSIDE_RESET_LINK_MINUTES", SessionPolicy.reset_link_lifetime.total_seconds() / 60))),
                require_second_factor_for_staff=os.environ.get("ALONGSIDE_REQUIRE_SECOND_FACTOR", "false").lower()
                in {"1", "true", "yes"}),
            clock=_clock_from_environment(),
            public_url=public_url,
            allowed_hosts=_listed("ALONGSIDE_ALLOWED_HOSTS"),
            forwarded_allow_ips=_listed("ALONGSIDE_FORWARDED_ALLOW_IPS"),
            single_sign_on=SingleSignOnSettings.from_environment(),
            max_upload_bytes=int(os.environ.get("ALONGSIDE_MAX_UPLOAD_BYTES", DEFAULT_MAX_UPLOAD_BYTES)),
            support_file=os.environ.get("ALONGSIDE_SUPPORT_FILE"),
            early_date_margin=timedelta(days=int(os.environ.get("ALONGSIDE_EARLY_DATE_MARGIN_DAYS",
                                                                EARLY_DATE_MARGIN.days))),
            supportive_care=SupportiveCareThresholds(
                item_at_or_above=int(os.environ.get("ALONGSIDE_SUPPORTIVE_ITEM_AT_OR_ABOVE", 7)),
                total_at_or_above=int(os.environ.get("ALONGSIDE_SUPPORTIVE_TOTAL_AT_OR_ABOVE", 40)),
                consecutive=int(os.environ.get("ALONGSIDE_SUPPORTIVE_CONSECUTIVE", 3))),
        )
        return cls(**(values | overrides))
