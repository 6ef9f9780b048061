"""The desk's Hebrew catalog covers every desk text and is compiled as committed."""

from __future__ import annotations

import io
import subprocess
import sys

from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from digest.render.localisation import LOCALE_DIR
from tests.conftest import REPO

FOLDER = LOCALE_DIR / "he" / "LC_MESSAGES"


def _catalog(path_name: str, reader: object) -> dict[object, object]:
    with open(FOLDER / path_name, "rb") as fh:
        data = fh.read()
    source = io.BytesIO(data)
    return {m.id: m.string for m in reader(source) if m.id}  # type: ignore[operator]


def test_committed_mo_matches_po() -> None:
    assert _catalog("desk.po", read_po) == _catalog("desk.mo", read_mo), (
        "run: pybabel compile -D desk -d src/digest/locale"
    )


def test_every_desk_text_has_a_hebrew_translation(tmp_path) -> None:
    pot = tmp_path / "desk.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "src/digest/web/desk/babel.cfg",
            "-k",
            "N_",
            "-k",
            "t",
            "-o",
            str(pot),
            "src/digest/web/desk",
        ],
        cwd=REPO,
        check=True,
        capture_output=True,
    )
    with open(pot, "rb") as fh:
        wanted = {m.id for m in read_po(fh) if m.id}
    translated = {k for k, v in _catalog("desk.po", read_po).items() if v and any(v)}
    assert sorted(map(str, wanted - translated)) == []
