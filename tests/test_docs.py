"""Docs are checked: every config key and every CLI command appears in the README."""

from __future__ import annotations

import types
import typing
from collections.abc import Iterator

import click
from pydantic import BaseModel

from digest.cli import cli
from digest.config import Config
from tests.conftest import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")


def _model_of(annotation: object) -> tuple[type[BaseModel] | None, str]:
    """The pydantic model in an annotation, and the path suffix ('[]' lists, '.*' dicts)."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, ""
    if origin in (list, tuple) and args:
        model, suffix = _model_of(args[0])
        return model, "[]" + suffix
    if origin is dict and len(args) == 2:
        model, suffix = _model_of(args[1])
        return model, ".*" + suffix
    if origin in (typing.Union, types.UnionType):
        for a in args:
            model, suffix = _model_of(a)
            if model is not None:
                return model, suffix
    return None, ""


def config_keys(model: type[BaseModel] = Config, prefix: str = "") -> Iterator[str]:
    for name, field in model.model_fields.items():
        path = f"{prefix}{name}"
        sub, suffix = _model_of(field.annotation)
        if sub is None:
            yield path
        else:
            yield path
            yield from config_keys(sub, f"{path}{suffix}.")


def commands(group: click.Group = cli, prefix: str = "digest") -> Iterator[str]:
    for name, cmd in group.commands.items():
        path = f"{prefix} {name}"
        yield path
        if isinstance(cmd, click.Group):
            yield from commands(cmd, path)


def test_every_config_key_is_documented() -> None:
    missing = [k for k in config_keys() if f"`{k}`" not in README]
    assert missing == []


def test_every_cli_command_is_documented() -> None:
    missing = [c for c in commands() if f"`{c}" not in README]
    assert missing == []


def test_quickstart_is_two_commands_and_ci_runs_the_test_command() -> None:
    quick = README.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    blocks = [b.split("```", 1)[0] for b in quick.split("```bash\n")[1:]]
    lines = [ln for b in blocks for ln in b.strip().splitlines() if ln and not ln.startswith("#")]
    assert lines == ["pip install -e . && digest run --demo", "pip install -e '.[test]' && pytest"]
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert "\npip install -e '.[test]' && pytest\n" in ci


def test_command_reference_is_generated_from_the_cli() -> None:
    from digest.cli.reference import command_reference, with_reference

    expected = with_reference(README, command_reference())
    assert README == expected, (
        "README's command reference is out of date: run "
        "`python -m digest.cli.reference --write README.md`"
    )
