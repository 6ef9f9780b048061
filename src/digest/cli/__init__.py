"""The ``digest`` command line: thin click commands over the use cases.

Exit codes: 0 ok; 1 the command ran but something in it failed (a source, a recipient);
2 bad usage, configuration or database; 3 the provider refused us or stayed unavailable;
4 the edition cannot do what was asked (sending a skipped, cancelled or held edition,
pausing what is not sending: the lifecycle refuses); 5 `digest serve`: the address is in
use; 70 an internal error (set DIGEST_DEBUG=1 for the traceback); 130 interrupted.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

import click

from digest.app import App, build
from digest.config import Config, ConfigError, load_config, resolve_config_path
from digest.logging_setup import FORMATS, LEVELS, QUIET_LEVEL, SERVICE_LEVEL, configure_logging
from digest.store.db import StoreError, is_current

EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_FATAL = 3
EXIT_REFUSED = 4
EXIT_PORT_BUSY = 5
EXIT_INTERNAL = 70


class CliError(Exception):
    """A command stops with ``message`` and ``exit_code``."""

    def __init__(self, message: str, exit_code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code


@dataclass
class CliContext:
    """Per-invocation state: the config path, logging choices, the config and App once needed."""

    config_path: Path
    log_level: str | None = None  # None: each command's default (quiet, or info for services)
    log_format: str = "text"
    _config: Config | None = None
    _app: App | None = field(default=None, repr=False)

    def config(self) -> Config:
        """The validated configuration (ConfigError on any problem)."""
        if self._config is None:
            self._config = load_config(self.config_path)
        return self._config

    def app(self, *, require_schema: bool = True) -> App:
        """The wired App; refuses a database that `digest init` has not set up."""
        if self._app is None:
            self._app = build(self.config())
            if require_schema and not is_current(self._app.engine):
                raise CliError(
                    "the database is not initialised or is out of date: run `digest init` "
                    f"(database.url = {_safe_url(self._app.config.database.url)})"
                )
        return self._app

    def service_logging(self) -> None:
        """Long-running commands (serve, scheduler) log at info unless --log-level says else."""
        if self.log_level is None:
            ctx = click.get_current_context()
            ctx.call_on_close(configure_logging(SERVICE_LEVEL, self.log_format))

    def config_flag(self) -> str:
        """'--config PATH ' when the config is not ./config.yaml, for commands we suggest."""
        return "" if self.config_path == Path("config.yaml") else f"--config {self.config_path} "

    def adopt(self, app: App) -> App:
        """Use ``app`` (built elsewhere, for example by the demo) for this invocation."""
        self._app = app
        return app

    def close(self) -> None:
        if self._app is not None:
            self._app.engine.dispose()


def cli_actor() -> str:
    """Who the command acts as, for the edition history: "cli:<os user>"."""
    import getpass

    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return f"cli:uid-{os.getuid()}"


def _safe_url(url: str) -> str:
    """The database URL without a password."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        user = creds.split(":", 1)[0]
        return f"{scheme}://{user}:***@{host}" if ":" in creds else url
    return url


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="Config file (default: $DIGEST_CONFIG, else ./config.yaml).",
)
@click.option(
    "--log-level",
    type=click.Choice(LEVELS, case_sensitive=False),
    default=None,
    envvar="DIGEST_LOG_LEVEL",
    help=f"Log records from this level up, to stderr (default: {QUIET_LEVEL}, or "
    f"{SERVICE_LEVEL} for serve and scheduler).",
)
@click.option(
    "--log-format",
    type=click.Choice(FORMATS, case_sensitive=False),
    default="text",
    show_default=True,
    envvar="DIGEST_LOG_FORMAT",
    help="Log lines as text or as JSON objects, one a line.",
)
@click.version_option(package_name="digest")
@click.pass_context
def cli(
    ctx: click.Context, config_path: str | None, log_level: str | None, log_format: str
) -> None:
    """digest: newsletter and push-digest generator for news publishers."""
    obj = CliContext(
        config_path=resolve_config_path(config_path),
        log_level=log_level.lower() if log_level else None,
        log_format=log_format.lower(),
    )
    ctx.obj = obj
    ctx.call_on_close(obj.close)
    ctx.call_on_close(configure_logging(obj.log_level or QUIET_LEVEL, obj.log_format))


json_option = click.option(
    "--json", "as_json", is_flag=True, help="Print the outcome as JSON on stdout."
)


def _register_all() -> None:
    from digest.cli import ingest_run, pipeline, subscribers

    pipeline.register(cli)
    ingest_run.register(cli)
    subscribers.register(cli)
    optional = ("sending", "edition_state", "schedule", "subscriptions", "users", "ops", "edition")
    for name in optional:
        try:
            module = __import__(f"digest.cli.{name}", fromlist=["register"])
        except ModuleNotFoundError as exc:
            if exc.name != f"digest.cli.{name}":
                raise
            continue
        if name == "subscriptions":
            module.register(cli, subscribers.subscribers_group)
        else:
            module.register(cli)


_register_all()


def _error_exit_code(exc: BaseException) -> tuple[str, int] | None:
    """Map a known exception to (message, exit code); None if it is not one of ours."""
    from digest.lifecycle import EditionError, TransitionRefused
    from digest.sending import NoEdition, NotSendable

    if isinstance(exc, CliError):
        return exc.message, exc.exit_code
    if isinstance(exc, TransitionRefused | NotSendable | NoEdition):
        return str(exc), EXIT_REFUSED
    if isinstance(exc, ConfigError | StoreError):
        return str(exc), EXIT_USAGE
    if isinstance(exc, EditionError):
        return str(exc), EXIT_FAILED
    for modname, clsname, code in (
        ("digest.render", "ComplianceError", EXIT_FAILED),
        ("digest.render", "RenderError", EXIT_USAGE),
        ("digest.send.transports.base", "TransportError", EXIT_FAILED),
        ("digest.tokens", "TokenError", EXIT_USAGE),
        ("digest.scheduling.errors", "ScheduleError", EXIT_USAGE),
        ("digest.send.errors", "SendAborted", EXIT_FATAL),
        ("digest.send.errors", "SendError", EXIT_USAGE),
        ("digest.ingest.errors", "IngestError", EXIT_USAGE),
    ):
        mod = sys.modules.get(modname)
        cls = getattr(mod, clsname, None) if mod else None
        if cls is not None and isinstance(exc, cls):
            if clsname == "TransportError" and getattr(exc, "fatal", False):
                code = EXIT_FATAL
            return f"{clsname}: {exc}", code
    from sqlalchemy.exc import OperationalError

    if isinstance(exc, OperationalError):
        return f"database error: {exc.orig}", EXIT_USAGE
    return None


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``digest`` console script."""
    try:
        cli.main(args=argv, prog_name="digest", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
    except Exception as exc:
        known = _error_exit_code(exc)
        if known is None:
            if os.environ.get("DIGEST_DEBUG"):
                raise
            click.echo(
                f"error: internal error: {type(exc).__name__}: {exc} "
                "(set DIGEST_DEBUG=1 to see the traceback)",
                err=True,
            )
            sys.exit(EXIT_INTERNAL)
        message, code = known
        click.echo(f"error: {message}", err=True)
        sys.exit(code)
