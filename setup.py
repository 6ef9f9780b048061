"""The one build step pyproject.toml cannot declare: ship the top-level files in the package.

The design card keeps ``templates/email/`` and ``config.yaml`` at the top of the repository,
outside ``src/digest``. A wheel must carry them, so building copies them into the package:

    templates/email/  ->  digest/templates/email/   (read with Jinja's PackageLoader)
    config.yaml       ->  digest/starter/config.yaml (what `digest init` writes)

Editable installs skip the copy: ``digest.resources`` reads the source tree instead.
``MANIFEST.in`` puts the same files in an sdist, so a wheel built from one has them too.
"""

from __future__ import annotations

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

TOP_LEVEL_FILES = (
    ("templates/email", "digest/templates/email"),
    ("config.yaml", "digest/starter/config.yaml"),
)


class BuildPyWithTopLevelFiles(build_py):
    """build_py, then copy TOP_LEVEL_FILES into the package being built."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        for source, target in TOP_LEVEL_FILES:
            for path, dest in _files(Path(source), Path(self.build_lib, target)):
                self.mkpath(str(dest.parent))
                self.copy_file(str(path), str(dest))


def _files(source: Path, target: Path) -> list[tuple[Path, Path]]:
    """(file, where it goes) for a file or every file under a folder (no caches, no dotfiles)."""
    if not source.exists():
        raise SystemExit(f"cannot build digest: {source} is missing from the source tree")
    if source.is_file():
        return [(source, target)]
    return [
        (path, target / path.relative_to(source))
        for path in sorted(source.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts and not path.name.startswith(".")
    ]


setup(cmdclass={"build_py": BuildPyWithTopLevelFiles})
