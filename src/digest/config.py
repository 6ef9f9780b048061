"""Typed configuration: the one home of every setting, its default and its validation.

``load_config(path)`` reads YAML, applies environment overrides and validates; any problem
raises ``ConfigError`` whose message names the key path (``segments[1].timezone: ...``).
Secrets are never read from the file: they come from the environment only.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    HttpUrl,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from digest.addresses import EmailAddress, InvalidAddress, normalise_address

SUPPORTED_LOCALES = ("en", "he")
PLACEHOLDER_SECRETS = {"", "changeme", "change-me", "secret", "xxx", "todo", "your-key-here"}


class ConfigError(Exception):
    """The configuration cannot be used; the message names the key path."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Publication(_Strict):
    name: str = Field(min_length=1)
    website: HttpUrl
    postal_address: str = Field(min_length=5)
    from_email: EmailAddress
    from_name: str = Field(min_length=1)
    reply_to: EmailAddress | None = None
    public_url: HttpUrl
    logo_url: HttpUrl | None = None
    list_id: str | None = None  # List-Id header domain part; derived from public_url if absent
    push_contact: str | None = None  # Web Push VAPID subject: a mailto: or https: URL

    @field_validator("push_contact")
    @classmethod
    def _push_contact(cls, v: str | None) -> str | None:
        if v is None:
            return v
        if v.startswith("mailto:"):  # the address is checked like every other one
            try:
                return "mailto:" + normalise_address(v.removeprefix("mailto:"))
            except InvalidAddress as exc:
                raise ValueError(f"{exc} (the VAPID subject)") from None
        if not re.fullmatch(r"https://[^\s/]+\.[^\s]+", v):
            raise ValueError(f"must be a mailto: or https: URL (the VAPID subject): {v!r}")
        return v

    @property
    def base_url(self) -> str:
        return str(self.public_url).rstrip("/")


class Database(_Strict):
    url: str = "sqlite:///digest.db"


class Source(_Strict):
    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    url: str = Field(min_length=1)

    @field_validator("url")
    @classmethod
    def _file_url(cls, v: str) -> str:
        if v.lower().startswith("file:") and urlsplit(v).netloc not in ("", "localhost"):
            raise ValueError(
                f"a file: URL names a file on this machine (file:///path/feed.xml), not on "
                f"{urlsplit(v).netloc!r}: {v!r}"
            )
        return v

    @property
    def is_remote(self) -> bool:
        return self.url.startswith(("http://", "https://"))


# ---- per-locale texts (issue #16) ---------------------------------------------------------
# Everything a reader sees may be one string (used for every locale) or a map locale -> string.
LocalisedText = str | dict[str, str]


def _check_localised(value: LocalisedText | None) -> LocalisedText | None:
    """Refuse empty texts and maps keyed by a locale digest does not support."""
    if value is None:
        return None
    if isinstance(value, str):
        if not value.strip():
            raise ValueError("must not be empty")
        return value
    if not value:
        raise ValueError("give one text, or a map of locale to text with at least one entry")
    for locale, text in value.items():
        if locale not in SUPPORTED_LOCALES:
            raise ValueError(
                f"unsupported locale {locale!r}; supported: {', '.join(SUPPORTED_LOCALES)}"
            )
        if not text.strip():
            raise ValueError(f"the {locale!r} text is empty")
    return value


def text_in(value: LocalisedText | None, locale: str) -> str | None:
    """The text for ``locale``: the single string, or the map's entry (None when it has none)."""
    if value is None or isinstance(value, str):
        return value
    return value.get(locale)


class Topic(_Strict):
    categories: list[str] = Field(default_factory=list)
    keywords: list[str] = Field(default_factory=list)
    label: LocalisedText | None = None  # shown to readers; default: the catalog's or the key

    _label = field_validator("label")(classmethod(lambda cls, v: _check_localised(v)))


class Ranking(_Strict):
    half_life_hours: float = Field(default=12.0, gt=0)
    max_per_topic: int = Field(default=3, ge=1)


def _check_timezone(v: str) -> str:
    try:
        ZoneInfo(v)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown IANA timezone {v!r}") from None
    return v


def _check_cron(v: str) -> str:
    from digest.scheduling.cron import parse_cron
    from digest.scheduling.errors import ScheduleError

    try:
        parse_cron(v)
    except ScheduleError as exc:
        raise ValueError(f"not a cron expression {v!r}: {exc}") from None
    return v


class Segment(_Strict):
    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_-]+$")
    title: LocalisedText | None = None
    topics: dict[str, Annotated[float, Field(ge=0)]] = Field(min_length=1)
    schedule: str = "0 7 * * *"
    timezone: str = "UTC"
    locale: str = "en"
    max_articles: int = Field(default=8, ge=1, le=100)
    lookback_hours: float = Field(default=24.0, gt=0)
    min_articles: int = Field(default=1, ge=0)
    audience: dict[str, list[str]] | None = None
    local_time_delivery: bool = False
    # the locales this segment's emails are written in: each subscriber gets their own language
    # when it is listed, else ``locale``; default: ``locale`` first, then every supported locale
    locales: list[str] | None = None
    subject: LocalisedText | None = None  # subject template(s): {title} {lead} {date} {publication}
    preheader: LocalisedText | None = None  # preheader template(s), same fields

    _texts = field_validator("title", "subject", "preheader")(
        classmethod(lambda cls, v: _check_localised(v))
    )

    @field_validator("locales")
    @classmethod
    def _locales(cls, v: list[str] | None) -> list[str] | None:
        if v is None:
            return v
        if not v:
            raise ValueError("list at least one locale, or leave the key out")
        for locale in v:
            if locale not in SUPPORTED_LOCALES:
                raise ValueError(
                    f"unsupported locale {locale!r}; supported: {', '.join(SUPPORTED_LOCALES)}"
                )
        return list(dict.fromkeys(v))

    @model_validator(mode="after")
    def _primary_listed(self) -> Segment:
        if self.locales is not None and self.locale not in self.locales:
            raise ValueError(
                f"locales: the segment's locale {self.locale!r} must be one of its locales "
                f"({', '.join(self.locales)})"
            )
        return self

    @property
    def send_locales(self) -> tuple[str, ...]:
        """The locales the segment sends in, its own ``locale`` first."""
        if self.locales is not None:
            return (self.locale, *(x for x in self.locales if x != self.locale))
        return (self.locale, *(x for x in SUPPORTED_LOCALES if x != self.locale))

    # the channels an edition of this segment goes out on, and the Apprise URLs it is posted to
    channels: list[Literal["email", "webpush", "apprise"]] = Field(
        default_factory=lambda: ["email"], min_length=1
    )
    apprise_urls: list[str] = Field(default_factory=list)
    # the editors' desk: is an editor's approval needed, by when, and what if it is missing
    approval: Literal["none", "required"] = "none"
    approval_deadline_minutes: int = Field(default=60, ge=0)  # before the due time
    on_unapproved: Literal["hold", "send"] = "hold"
    draft_lead_hours: float = Field(default=12, ge=0, le=168)  # draft built this long before due

    @field_validator("channels")
    @classmethod
    def _channels(cls, v: list[str]) -> list[str]:
        if len(set(v)) != len(v):
            raise ValueError("each channel may be listed once")
        return v

    @model_validator(mode="after")
    def _apprise(self) -> Segment:
        from digest.apprise_channel.urls import check_apprise_urls

        check_apprise_urls(self.channels, self.apprise_urls)
        return self

    @model_validator(mode="after")
    def _approval_window(self) -> Segment:
        if self.approval_deadline_minutes > self.draft_lead_hours * 60:
            raise ValueError(
                f"approval_deadline_minutes ({self.approval_deadline_minutes}) is earlier than "
                f"the draft is built (draft_lead_hours = {self.draft_lead_hours:g}): editors "
                "would have nothing to approve in time"
            )
        return self

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        return _check_timezone(v)

    @field_validator("schedule")
    @classmethod
    def _cron(cls, v: str) -> str:
        return _check_cron(v)

    @field_validator("locale")
    @classmethod
    def _locale(cls, v: str) -> str:
        if v not in SUPPORTED_LOCALES:
            raise ValueError(f"unsupported locale {v!r}; supported: {', '.join(SUPPORTED_LOCALES)}")
        return v

    @field_validator("audience")
    @classmethod
    def _audience(cls, v: dict[str, list[str]] | None) -> dict[str, list[str]] | None:
        if v is None:
            return v
        allowed = {"locale", "timezone", "topics"}
        for key in v:
            if key not in allowed and not key.startswith("attributes."):
                raise ValueError(
                    f"unknown audience attribute {key!r}; use locale, timezone, topics "
                    "or attributes.<name>"
                )
        return v

    @property
    def display_title(self) -> str:
        """The title in the segment's own locale (for operators: logs, List-Id names)."""
        own = text_in(self.title, self.locale)
        return own or self.name.replace("-", " ").replace("_", " ").title()


class Disclaimer(_Strict):
    id: str = Field(min_length=1)
    text: LocalisedText
    link: LocalisedText | None = None  # the full text's address (one, or one per locale)
    # a required disclaimer must have a text for every locale a segment sends in, and the
    # compliance gate refuses an email without it; an optional one is shown where it has a text
    required: bool = True

    _texts = field_validator("text", "link")(classmethod(lambda cls, v: _check_localised(v)))

    @field_validator("link")
    @classmethod
    def _links(cls, v: LocalisedText | None) -> LocalisedText | None:
        for url in [v] if isinstance(v, str) else list((v or {}).values()):
            if not re.fullmatch(r"https?://[^\s/$.?#][^\s]*", url.strip()):
                raise ValueError(f"not an http(s) URL: {url!r}")
        return v


class CallToAction(_Strict):
    heading: LocalisedText
    text: LocalisedText
    button: LocalisedText
    url: LocalisedText  # one address, or one per locale

    _texts = field_validator("heading", "text", "button", "url")(
        classmethod(lambda cls, v: _check_localised(v))
    )

    @field_validator("url")
    @classmethod
    def _urls(cls, v: LocalisedText) -> LocalisedText:
        for url in [v] if isinstance(v, str) else list(v.values()):
            if not re.fullmatch(r"https?://[^\s/$.?#][^\s]*", url.strip()):
                raise ValueError(f"not an http(s) URL: {url!r}")
        return v


class EmailSettings(_Strict):
    template_dir: str | None = None  # a publisher's own templates, searched before ours
    html_budget_kb: float = Field(default=90, gt=10)
    style_budget_kb: float = Field(default=16, gt=1)
    call_to_action: CallToAction | None = None
    unsubscribe_mailto: EmailAddress | None = None  # List-Unsubscribe mailto address
    brand_color: str = Field(default="#0b3d91", pattern=r"^#[0-9a-fA-F]{6}$")
    # subjects are cut (at a word, by whole characters) to this length: phones show ~40
    subject_max_chars: int = Field(default=70, ge=20, le=200)


class OutboxSettings(_Strict):
    path: str = "outbox"
    batch_size: int = Field(default=500, ge=1, le=10_000)  # recipients claimed at a time


class SendGridSettings(_Strict):
    host: str = "https://api.sendgrid.com"
    timeout_seconds: float = Field(default=30, gt=0)
    sandbox_mode: bool = False
    batch_size: int = Field(default=1000, ge=1, le=1000)
    max_retries: int = Field(default=5, ge=0)
    ip_pool: str | None = None


class SmtpSettings(_Strict):
    host: str = "localhost"
    port: int = Field(default=587, ge=1, le=65535)
    security: Literal["starttls", "ssl", "none"] = "starttls"
    username: str | None = None  # password from env SMTP_PASSWORD
    timeout_seconds: float = Field(default=30, gt=0)
    max_retries: int = Field(default=3, ge=0)


class Transport(_Strict):
    kind: Literal["outbox", "sendgrid", "smtp"] = "outbox"
    rate_limit_per_second: float | None = Field(default=None, gt=0)
    concurrency: int = Field(default=4, ge=1, le=64)
    # a batch that outlasts its retries is set aside and tried again later; the send stops
    # as a provider outage only once nothing was accepted for this long
    outage_after_seconds: float = Field(default=60, ge=0)
    outbox: OutboxSettings = OutboxSettings()
    sendgrid: SendGridSettings = SendGridSettings()
    smtp: SmtpSettings = SmtpSettings()


class Ingest(_Strict):
    timeout_seconds: float = Field(default=20, gt=0)
    max_bytes: int = Field(default=10_000_000, gt=1000)
    user_agent: str = "digest/0.1 (+https://github.com/digest)"
    words_per_minute: int = Field(default=230, gt=0)


class Scheduler(_Strict):
    ingest_interval_minutes: int = Field(default=15, ge=1)
    misfire_grace_minutes: int = Field(default=120, ge=0)
    coalesce: bool = True
    # the scheduler's own /metrics and /healthz (off unless a port is given)
    metrics_port: int | None = Field(default=None, ge=0, le=65535)
    health_port: int | None = Field(default=None, ge=0, le=65535)
    listen_host: str = "127.0.0.1"


class Web(_Strict):
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    subscribe_rate_per_minute: int = Field(default=10, ge=1)
    consent_version: str = "2026-01"
    token_max_age_days: int = Field(default=365, ge=1)
    # requests with a larger body are refused (413) before more of it is read
    max_body_bytes: int = Field(default=5_000_000, ge=1024)


class Desk(_Strict):
    """Staff sign-in for the editors' desk and the ops console (``/desk/``)."""

    session_idle_minutes: int = Field(default=60, ge=1)  # signed out after this long unused
    session_max_hours: float = Field(default=12, gt=0)  # and after this long in any case
    signin_window_minutes: int = Field(default=15, ge=1)  # failed sign-ins counted over this
    signin_failures_per_address: int = Field(default=5, ge=1)
    signin_failures_per_client: int = Field(default=20, ge=1)
    test_sends_per_hour: int = Field(default=20, ge=1)  # per member of staff


class Push(_Strict):
    """Web Push: where the server may post, how many at once, and the notification's images."""

    # the browsers' own push services; a subscription elsewhere is refused
    allowed_hosts: list[str] = Field(
        default_factory=lambda: [
            "fcm.googleapis.com",
            "updates.push.services.mozilla.com",
            "*.push.apple.com",
            "*.notify.windows.com",
        ]
    )
    # allow endpoints whose host is a loopback or private address (tests and labs only)
    allow_private_addresses: bool = False
    ca_bundle: str | None = None  # a PEM file of CAs to trust instead of the system's
    concurrency: int = Field(default=64, ge=1, le=1024)
    timeout_seconds: float = Field(default=10, gt=0)
    # tries per subscription and edition (5xx, timeouts, dropped connections) before failing
    max_attempts: int = Field(default=6, ge=1)
    claim_size: int = Field(default=500, ge=1, le=10000)
    icon_url: HttpUrl | None = None  # default: the publication's logo, else /push/icon.png
    badge_url: HttpUrl | None = None  # default: /push/badge.png
    max_headlines: int = Field(default=3, ge=1, le=3)

    @field_validator("allowed_hosts")
    @classmethod
    def _hosts(cls, v: list[str]) -> list[str]:
        from digest.push.endpoints import check_host_pattern

        return [check_host_pattern(h) for h in v]


ALERT_KINDS = ("held", "missed", "failed", "outage")
_ENV_REF = re.compile(r"\$\{([^}]*)\}")


class Alerts(_Strict):
    """Where ops hear about held, missed, failed and outage-stopped editions (Apprise URLs)."""

    # each an Apprise URL; credentials and tokens as ${ENV_VAR}, filled from the environment
    apprise_urls: list[str] = Field(default_factory=list)
    kinds: list[Literal["held", "missed", "failed", "outage"]] = Field(
        default_factory=lambda: list(ALERT_KINDS)
    )
    post_within_hours: float = Field(default=24, gt=0)  # older alerts are shown, not posted
    show_days: int = Field(default=7, ge=1, le=90)  # how long status and the console show one
    max_post_attempts: int = Field(default=5, ge=1)

    @field_validator("apprise_urls")
    @classmethod
    def _urls(cls, v: list[str]) -> list[str]:
        for i, url in enumerate(v):
            if "://" not in url:
                raise ValueError(f"[{i}] is not an Apprise URL (scheme://…)")
            for name in _ENV_REF.findall(url):
                if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
                    raise ValueError(f"[{i}]: ${{{name}}} is not an environment variable name")
            bare = _ENV_REF.sub("", url.split("://", 1)[1].split("/", 1)[0])
            if re.search(r":[^@]+@", bare):
                raise ValueError(
                    f"[{i}] holds a password; write it as ${{ENV_VAR}} and set that variable"
                )
        return v


class Config(_Strict):
    publication: Publication
    database: Database = Database()
    sources: list[Source] = Field(default_factory=list)
    topics: dict[str, Topic] = Field(default_factory=dict)
    ranking: Ranking = Ranking()
    segments: list[Segment] = Field(min_length=1)
    disclaimers: list[Disclaimer] = Field(default_factory=list)
    transport: Transport = Transport()
    email: EmailSettings = EmailSettings()
    ingest: Ingest = Ingest()
    scheduler: Scheduler = Scheduler()
    web: Web = Web()
    desk: Desk = Desk()
    push: Push = Push()
    alerts: Alerts = Alerts()

    @model_validator(mode="after")
    def _cross_checks(self) -> Config:
        names = [s.name for s in self.segments]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"segments: duplicate segment name(s): {', '.join(dupes)}")
        for i, seg in enumerate(self.segments):
            for topic in seg.topics:
                if topic not in self.topics:
                    raise ValueError(
                        f"segments[{i}].topics: unknown topic {topic!r} "
                        f"(defined topics: {', '.join(sorted(self.topics)) or 'none'})"
                    )
        src = [s.name for s in self.sources]
        if len(set(src)) != len(src):
            raise ValueError("sources: source names must be unique")
        for i, seg in enumerate(self.segments):
            if "webpush" in seg.channels and not self.publication.push_contact:
                raise ValueError(
                    f"segments[{i}].channels: webpush needs publication.push_contact "
                    "(a mailto: or https: URL, the VAPID subject)"
                )
        ids = [d.id for d in self.disclaimers]
        if len(set(ids)) != len(ids):
            raise ValueError("disclaimers: disclaimer ids must be unique")
        _check_required_disclaimers(self)
        return self

    def segment(self, name: str) -> Segment:
        """The segment called ``name``; ConfigError naming the known ones otherwise."""
        for seg in self.segments:
            if seg.name == name:
                return seg
        known = ", ".join(s.name for s in self.segments)
        raise ConfigError(f"unknown segment {name!r}; configured segments: {known}")


def _check_required_disclaimers(config: Config) -> None:
    """Every required disclaimer has a text in every locale every segment sends in."""
    for i, seg in enumerate(config.segments):
        for locale in seg.send_locales:
            for d in config.disclaimers:
                if d.required and text_in(d.text, locale) is None:
                    j = config.disclaimers.index(d)
                    raise ValueError(
                        f"disclaimers[{j}].text: required disclaimer {d.id!r} has no {locale!r} "
                        f"text, but segment {seg.name!r} sends in {locale!r} (add "
                        f"disclaimers[{j}].text.{locale}, or set segments[{i}].locales to the "
                        "locales it has)"
                    )


class Secrets(BaseModel):
    """Secrets, from the environment only; typed so repr, str, logs and dumps show ``**********``.

    ``reveal(secrets.X)`` gives the value to the one place that uses it.
    """

    model_config = ConfigDict(frozen=True)
    secret_key: SecretStr | None = None  # DIGEST_SECRET_KEY: signs unsubscribe/preference tokens
    sendgrid_api_key: SecretStr | None = None  # SENDGRID_API_KEY
    smtp_password: SecretStr | None = None  # SMTP_PASSWORD
    sendgrid_webhook_public_key: SecretStr | None = None  # SENDGRID_WEBHOOK_PUBLIC_KEY
    vapid_private_key: SecretStr | None = None  # DIGEST_VAPID_PRIVATE_KEY: signs Web Push requests
    metrics_token: SecretStr | None = None  # DIGEST_METRICS_TOKEN: bearer token for /metrics


def reveal(secret: SecretStr | None) -> str | None:
    """The plain value of a secret (None when unset), for the code that must use it."""
    return secret.get_secret_value() if secret is not None else None


def _format_loc(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


def _format_validation_error(exc: ValidationError, path: str) -> str:
    lines = [f"invalid configuration in {path}:"]
    for err in exc.errors():
        loc = tuple(p for p in err["loc"] if p not in ("function-after[_cross_checks(), Config]",))
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown key (not a setting digest knows)"
        elif err["type"] == "missing":
            msg = "required key is missing"
        lines.append(f"  {_format_loc(loc)}: {msg}" if loc else f"  {msg}")
    return "\n".join(lines)


def resolve_config_path(explicit: str | None) -> Path:
    """--config, else $DIGEST_CONFIG, else ./config.yaml."""
    return Path(explicit or os.environ.get("DIGEST_CONFIG") or "config.yaml")


def _apply_env(raw: dict[str, Any]) -> dict[str, Any]:
    env = os.environ
    if env.get("DATABASE_URL"):
        raw.setdefault("database", {})
        if not isinstance(raw["database"], dict):
            raw["database"] = {}
        raw["database"]["url"] = env["DATABASE_URL"]
    if env.get("DIGEST_TRANSPORT"):
        raw.setdefault("transport", {})
        if isinstance(raw["transport"], dict):
            raw["transport"]["kind"] = env["DIGEST_TRANSPORT"]
    if env.get("SENDGRID_HOST"):
        transport = raw.setdefault("transport", {})
        if isinstance(transport, dict):
            transport.setdefault("sendgrid", {})
            if isinstance(transport["sendgrid"], dict):
                transport["sendgrid"]["host"] = env["SENDGRID_HOST"]
    return raw


def parse_config(raw: Any, origin: str = "config") -> Config:
    """Validate an already-loaded mapping (env overrides applied) into a Config."""
    if not isinstance(raw, dict):
        raise ConfigError(f"invalid configuration in {origin}: the top level must be a mapping")
    try:
        return Config.model_validate(_apply_env(raw))
    except ValidationError as exc:
        raise ConfigError(_format_validation_error(exc, origin)) from None


def load_config(path: Path) -> Config:
    """Read, override from the environment and validate the YAML config at ``path``."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"config file not found: {path} (run `digest init` to write a starter "
            "configuration there, or pass --config PATH or set DIGEST_CONFIG)"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config file {path}: {exc}") from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"config file {path} is not valid YAML: {exc}") from None
    config = parse_config(raw, str(path))
    return _resolve_relative_paths(config, path.parent)


def _file_path(url: str) -> str:
    """A local source as a path: ``file:///a b.xml`` and ``file:feeds/x.xml`` unquoted."""
    if not url.lower().startswith("file:"):
        return url
    return unquote(urlsplit(url).path)


def _resolve_relative_paths(config: Config, base: Path) -> Config:
    """Make local source paths, the outbox and template_dir relative to the config file."""

    def rel(p: str) -> str:
        return p if Path(p).is_absolute() else str((base / p).resolve())

    sources = [
        s if s.is_remote else s.model_copy(update={"url": rel(_file_path(s.url))})
        for s in config.sources
    ]
    email = config.email
    if email.template_dir:
        email = email.model_copy(update={"template_dir": rel(email.template_dir)})
    outbox = config.transport.outbox.model_copy(update={"path": rel(config.transport.outbox.path)})
    transport = config.transport.model_copy(update={"outbox": outbox})
    db = config.database
    if db.url.startswith("sqlite:///") and not db.url.startswith("sqlite:////"):
        file_part = db.url.removeprefix("sqlite:///")
        if file_part and file_part != ":memory:":
            db = db.model_copy(update={"url": "sqlite:///" + rel(file_part)})
    push = config.push
    if push.ca_bundle:
        push = push.model_copy(update={"ca_bundle": rel(push.ca_bundle)})
    return config.model_copy(
        update={
            "sources": sources,
            "email": email,
            "transport": transport,
            "database": db,
            "push": push,
        }
    )


def load_secrets() -> Secrets:
    """Secrets from the environment; placeholder values are refused with ConfigError."""
    env = os.environ
    values = {
        "secret_key": env.get("DIGEST_SECRET_KEY"),
        "sendgrid_api_key": env.get("SENDGRID_API_KEY"),
        "smtp_password": env.get("SMTP_PASSWORD"),
        "sendgrid_webhook_public_key": env.get("SENDGRID_WEBHOOK_PUBLIC_KEY"),
        "vapid_private_key": env.get("DIGEST_VAPID_PRIVATE_KEY"),
        "metrics_token": env.get("DIGEST_METRICS_TOKEN"),
    }
    names = {
        "secret_key": "DIGEST_SECRET_KEY",
        "sendgrid_api_key": "SENDGRID_API_KEY",
        "smtp_password": "SMTP_PASSWORD",
        "sendgrid_webhook_public_key": "SENDGRID_WEBHOOK_PUBLIC_KEY",
        "vapid_private_key": "DIGEST_VAPID_PRIVATE_KEY",
        "metrics_token": "DIGEST_METRICS_TOKEN",
    }
    from digest.secret_strength import weak_secret

    secret = values["secret_key"]
    if secret is not None and len(secret) < 32:
        raise ConfigError("DIGEST_SECRET_KEY must be at least 32 characters long")
    for key, value in values.items():
        problem = value is not None and weak_secret(names[key], value, random=key == "secret_key")
        if problem:
            raise ConfigError(problem)
    if values["vapid_private_key"] is not None:
        from digest.push.vapid import VapidKeyError, load_vapid

        try:
            load_vapid(values["vapid_private_key"])
        except VapidKeyError as exc:
            raise ConfigError(f"DIGEST_VAPID_PRIVATE_KEY: {exc}") from None
    return Secrets(**values)
