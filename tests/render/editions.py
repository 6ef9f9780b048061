"""Realistic test editions built from the publisher's seed article page (no network)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from digest.demo import SEED  # the packaged copy of ../shared/seed's article page
from digest.models import Article, Edition, EditionItem

NOW = datetime(2026, 1, 30, 5, 0, tzinfo=UTC)
EDITION_DATE = date(2026, 1, 30)

HEBREW_STORIES = (
    (
        "אנבידיה מגבירה את ההימור על OpenAI כשמרוץ ההשקעות ב-AI מתעצם",
        "שווקי הטכנולוגיה העולמיים מעדכנים ציפיות כשמחזור ההשקעות בבינה מלאכותית אינו מאט.",
        "רוני מור",
    ),
    (
        "פורד ו-Xiaomi בוחנות שיתוף פעולה ברכב חשמלי",
        "פורד אישרה שקיימה שיחות עם Xiaomi הסינית על שיתוף פעולה אפשרי בתחום ה-EV.",
        "ליאור מור",
    ),
    (
        "מדד ה-DAX: האם המומנטום יחזיק אחרי ינואר תנודתי?",
        "ה-DAX נכנס לשלב האחרון של ינואר במעבר מהתרחבות אימפולסיבית לקצב מדוד יותר.",
        "אורשו",
    ),
)


def seed_text() -> str:
    """The seed article page as text."""
    return SEED.read_text(encoding="utf-8")


def lead_article() -> Article:
    """The seed's Ford/Xiaomi article with its key points and opening paragraphs."""
    lines = [ln.strip() for ln in seed_text().splitlines()]
    start = lines.index("Key Points") + 1
    points, i = [], start
    while lines[i].startswith("- "):
        points.append(lines[i][2:])
        i += 1
    summary = lines[i]
    return Article(
        uid="skn:ford-xiaomi",
        source="skn",
        url="https://www.skn.example/markets/ford-xiaomi-ev-partnership",
        title="Ford Holds Talks With China’s Xiaomi on a Possible EV Partnership",
        summary=summary,
        summary_html=f"<p>{summary}</p>",
        author="orshu",
        categories=("Autos", "Technology"),
        published_at=NOW - timedelta(minutes=2),
        first_seen_at=NOW,
        read_minutes=6,
        image_url="https://www.skn.example/images/ford-xiaomi.jpg",
        key_points=tuple(points),
    )


def latest_articles() -> list[Article]:
    """The seed's 'latest articles' list: title, author, read time, excerpt."""
    lines = [ln.strip() for ln in seed_text().splitlines() if ln.strip()]
    out: list[Article] = []
    ages = {"2 minutes": 2, "43 minutes": 43, "10 hours": 600, "15 hours": 900}
    for idx, line in enumerate(lines):
        if not line.startswith("SKN | "):
            continue
        author = lines[idx - 5].rsplit("- ", 1)[-1].strip()
        age_text = lines[idx - 1].removeprefix("- ago ").strip()
        minutes = ages.get(age_text, 60)
        title = line.removeprefix("SKN | ")
        slug = "-".join(w.lower() for w in title.split()[:5] if w.isalnum())
        out.append(
            Article(
                uid=f"skn:{slug}",
                source="skn",
                url=f"https://www.skn.example/markets/{slug}",
                title=title,
                summary=lines[idx + 1],
                summary_html="",
                author=author,
                categories=("Markets",),
                published_at=NOW - timedelta(minutes=minutes),
                first_seen_at=NOW,
                read_minutes=6,
            )
        )
    return out


def make_edition(
    segment: str = "markets-en",
    *,
    count: int = 6,
    hebrew: bool = False,
    editor_note: str | None = "Markets open the last session of January on a cautious note.",
    subject: str = "",
) -> Edition:
    """An edition with the seed lead story and ``count`` items in all, ranked by position."""
    lead = lead_article()
    pool = latest_articles()
    if hebrew:
        he = [
            replace(
                pool[n % len(pool)],
                uid=f"he:{n}",
                title=t,
                summary=s,
                author=a,
                url=f"https://www.skn.example/he/{n}",
            )
            for n, (t, s, a) in enumerate(HEBREW_STORIES)
        ]
        pool = he + pool
    items = [EditionItem(1, lead, 0.97, ("autos", "tech"), "autos")]
    topics = ("markets", "tech", "autos")
    for n in range(1, count):
        base = pool[(n - 1) % len(pool)]
        cycle = (n - 1) // len(pool)
        article = (
            base
            if cycle == 0
            else replace(
                base,
                uid=f"{base.uid}:{n}",
                url=f"{base.url}-{n}",
                title=f"{base.title} (update {cycle})",
                published_at=base.published_at - timedelta(hours=cycle),
            )
        )
        topic = topics[n % len(topics)]
        items.append(EditionItem(n + 1, article, round(0.9 - n * 0.01, 3), (topic,), topic))
    return Edition(
        segment=segment,
        edition_date=EDITION_DATE,
        status="draft",
        window_start=NOW - timedelta(hours=24),
        cutoff_at=NOW,
        subject=subject,
        items=tuple(items),
        editor_note=editor_note,
    )
