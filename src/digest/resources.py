"""Files the design card keeps at the top of the source tree, found wherever digest runs.

``templates/email/`` and ``config.yaml`` live beside ``src/``. A built wheel carries copies
inside the package (setup.py: ``digest/templates/email/``, ``digest/starter/config.yaml``);
an editable install or a checkout has no copy and reads the source tree. Everything that
needs those files asks here, so the two layouts cannot drift apart.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from jinja2 import BaseLoader, FileSystemLoader, PackageLoader

PACKAGE = "digest"
PACKAGED_TEMPLATES = "templates/email"  # inside the package, in a wheel
PACKAGED_STARTER = ("starter", "config.yaml")
SOURCE_ROOT = Path(__file__).resolve().parents[2]  # src/digest/resources.py -> the checkout
SOURCE_TEMPLATES = SOURCE_ROOT / "templates" / "email"
SOURCE_STARTER = SOURCE_ROOT / "config.yaml"


class ResourceMissing(Exception):
    """A file digest ships is in neither the package nor a source tree (a broken install)."""


def email_template_loader(required: str) -> BaseLoader:
    """A loader for the built-in email templates: the package's copy, else the source tree's.

    ``required`` is a template that must exist (checked so a broken install is named now,
    not at the first render).
    """
    try:
        loader: BaseLoader = PackageLoader(PACKAGE, PACKAGED_TEMPLATES)
    except ValueError:  # no packaged copy: an editable install or a checkout
        loader = FileSystemLoader(str(SOURCE_TEMPLATES))
        if not (SOURCE_TEMPLATES / required).is_file():
            raise ResourceMissing(
                f"built-in email templates not found: neither the installed package "
                f"({PACKAGE}/{PACKAGED_TEMPLATES}) nor a source tree ({SOURCE_TEMPLATES}) has "
                f"{required}; reinstall digest, or set email.template_dir to a folder holding "
                "your own templates"
            ) from None
    return loader


def starter_config_text() -> str:
    """The commented starter configuration that `digest init` writes (the top-level one)."""
    packaged = resources.files(PACKAGE).joinpath(*PACKAGED_STARTER)
    if packaged.is_file():
        return packaged.read_text(encoding="utf-8")
    if SOURCE_STARTER.is_file():
        return SOURCE_STARTER.read_text(encoding="utf-8")
    raise ResourceMissing(
        f"the starter configuration is missing: neither the installed package "
        f"({PACKAGE}/{'/'.join(PACKAGED_STARTER)}) nor a source tree ({SOURCE_STARTER}) has "
        "it; reinstall digest"
    )
