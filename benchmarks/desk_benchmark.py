"""Benchmark: the editors' desk with a busy news day.

Seeds N candidate articles in the segment's window (SQLite file), signs an editor in and
times, over R rounds each: the draft page (re-rank + render of the variant), its preview
frame (the render is shared through the desk's cache), an edit (pin, with the version
check, re-composition and audit record) and an approval. Prints median and worst times.

    python benchmarks/desk_benchmark.py --articles 500 --rounds 20
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from fastapi.testclient import TestClient  # noqa: E402

from digest.staff import Role, add_user  # noqa: E402
from digest.store.articles import upsert_articles  # noqa: E402
from digest.web import create_app  # noqa: E402
from tests.conftest import FixedClock, make_app, make_config  # noqa: E402
from tests.desk.conftest import PASSWORD, sign_in  # noqa: E402
from tests.factories import NOW, article  # noqa: E402

PAGE = "/desk/editions/markets-en/2026-01-30"
CATEGORIES = ("Markets", "Indices", "Technology", "Autos", "Sport")


def timed(call, *args: object, **kwargs: object) -> tuple[float, object]:  # noqa: ANN001
    """Seconds taken by ``call(*args, **kwargs)``, and its result."""
    start = time.perf_counter()
    result = call(*args, **kwargs)
    return time.perf_counter() - start, result


def report(name: str, seconds: list[float]) -> None:
    ms = sorted(s * 1000 for s in seconds)
    print(
        f"{name:<14} median {statistics.median(ms):7.1f} ms   worst {ms[-1]:7.1f} ms   n={len(ms)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    clock = FixedClock(NOW)
    app = make_app(make_config(Path(tempfile.mkdtemp())), clock)
    stories = [
        article(
            f"Story {i} about the DAX index",
            categories=(CATEGORIES[i % 5],),
            hours_ago=0.1 + (i % 230) / 10,
        )
        for i in range(args.articles)
    ]
    with app.engine.begin() as conn:
        upsert_articles(conn, stories, NOW)
    add_user(app, "bench@skn.example", Role.EDITOR, PASSWORD, actor="bench")
    pages, frames, edits, approvals = [], [], [], []
    with TestClient(create_app(app), follow_redirects=False) as client:
        token = sign_in(client, "bench@skn.example")
        for i in range(args.rounds):
            clock.now = NOW + timedelta(seconds=i)  # a new render each round (new content)
            seconds, page = timed(client.get, PAGE)
            pages.append(seconds)
            frames.append(timed(client.get, f"{PAGE}/frame")[0])
            version = re.search(r'name="version" value="(\d+)"', page.text).group(1)
            article_id = re.findall(r'name="article" value="(\d+)"', page.text)[-1]
            pin = {"csrf_token": token, "version": version, "article": article_id, "position": "1"}
            edits.append(timed(client.post, f"{PAGE}/pin", data=pin)[0])
            html = client.get(PAGE).text
            version = re.search(r'name="version" value="(\d+)"', html).group(1)
            content = re.search(r'name="content" value="([0-9a-f]+)"', html).group(1)
            approve = {"csrf_token": token, "version": version, "content": content}
            approvals.append(timed(client.post, f"{PAGE}/approve", data=approve)[0])
            again = {"csrf_token": token, "version": str(int(version) + 1)}
            client.post(f"{PAGE}/unapprove", data=again)
    print(f"desk with {args.articles} candidate articles, SQLite, {args.rounds} rounds")
    report("draft page", pages)
    report("preview frame", frames)
    report("pin (edit)", edits)
    report("approve", approvals)
    app.engine.dispose()


if __name__ == "__main__":
    main()
