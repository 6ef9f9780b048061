"""Reading the configuration: YAML, environment overrides, validation into ``Config`` with
errors that name the key path, and paths made relative to the config file."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import yaml
from pydantic import ValidationError

from digest.config.base import ConfigError
from digest.config.root import Config


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
