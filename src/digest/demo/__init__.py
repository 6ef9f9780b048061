"""The demo: the publication's sample articles as a feed stamped relative to now, and a
handful of subscribers, so that ``digest run --demo`` shows the whole flow on any day.

The articles come from the publication's article page (``seed_article_page.txt``): the
lead story with its key points and disclaimer, and the "latest articles" list with authors,
read times and how long ago each was published.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

from digest.app import App
from digest.config import Config, Source
from digest.store.db import upgrade
from digest.store.subscribers import SubscriberInput, upsert_subscribers

SEED = Path(__file__).with_name("seed_article_page.txt")
DEMO_SOURCE = "skn-demo"
DEMO_FEED = Path("demo-feed") / "skn-latest.xml"
SITE = "https://www.skn.example"

_LATEST = re.compile(
    r"- (?P<author>[^\n•]+?)\n- •\n- (?P<minutes>\d+) Min Read\n- •\n- ago (?P<ago>[^\n]+)\n"
    r"(?P<title>[^\n]+)\n(?P<excerpt>[^\n]+)"
)
_AGO = re.compile(r"(\d+)\s+(minute|hour|day)s?")

# Categories for the sample stories (the page itself carries none).
_CATEGORIES = {
    "Shanghai": ["Markets", "Indices", "Asia"],
    "MSCI": ["Markets", "Indices", "Europe"],
    "Nvidia": ["Technology", "AI"],
    "DAX": ["Markets", "Indices", "Europe"],
}


@dataclass(frozen=True, slots=True)
class DemoArticle:
    title: str
    slug: str
    author: str
    minutes_ago: int
    read_minutes: int
    categories: tuple[str, ...]
    summary: str
    key_points: tuple[str, ...] = ()
    body: tuple[str, ...] = ()


def _slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower().removeprefix("skn | ")).strip("-")[:80]


def _ago_minutes(text: str) -> int:
    m = _AGO.search(text)
    if not m:
        return 60
    n, unit = int(m.group(1)), m.group(2)
    return n * {"minute": 1, "hour": 60, "day": 1440}[unit]


def seed_articles(page: str) -> list[DemoArticle]:
    """The sample articles found on the publication's page."""
    lines = page.splitlines()
    key_points: list[str] = []
    body: list[str] = []
    in_points = False
    for line in lines:
        if line.strip() == "Key Points":
            in_points = True
            continue
        if in_points and line.startswith("- "):
            key_points.append(line[2:].strip())
            continue
        in_points = False
        if line.startswith(("Comparison, examination", "Leave your details", "* ", "To read more")):
            break
        if key_points and line.strip():
            body.append(line.strip())
    paragraphs = tuple(p for p in body if len(p) > 80)
    lead = DemoArticle(
        title="Ford Holds Talks With Xiaomi on a Possible EV Partnership",
        slug="ford-xiaomi-ev-partnership-talks",
        author="SKN Newsroom",
        minutes_ago=75,
        read_minutes=6,
        categories=("Autos", "Technology", "EV"),
        summary=paragraphs[0] if paragraphs else "",
        key_points=tuple(key_points),
        body=paragraphs,
    )
    latest = [lead]
    for m in _LATEST.finditer(page):
        title = m.group("title").strip()
        cats = next((c for k, c in _CATEGORIES.items() if k in title), ["Markets"])
        latest.append(
            DemoArticle(
                title=title,
                slug=_slug(title),
                author=m.group("author").strip(),
                minutes_ago=_ago_minutes(m.group("ago")),
                read_minutes=int(m.group("minutes")),
                categories=tuple(cats),
                summary=m.group("excerpt").strip() + "…",
            )
        )
    latest.append(
        DemoArticle(
            title='מדד ת"א 35 נסגר בעלייה: מניות הטכנולוגיה ו-Nvidia מובילות',
            slug="ta35-closes-higher-tech-leads",
            author="רוני מור",
            minutes_ago=180,
            read_minutes=4,
            categories=("Technology", "TASE"),
            summary=(
                "מניות הטכנולוגיה בבורסת תל אביב עלו בחדות לאחר שמשקיעים הגיבו לדוחות של "
                "Nvidia ולציפיות להמשך ההשקעות בבינה מלאכותית (AI)."
            ),
        )
    )
    return latest


def demo_feed_xml(articles: list[DemoArticle], now: datetime) -> str:
    """An RSS 2.0 feed of the sample articles, dated relative to ``now``."""
    items = []
    for a in articles:
        published = now - timedelta(minutes=a.minutes_ago)
        content = ""
        if a.key_points:
            points = "".join(f"<li>{escape(p)}</li>" for p in a.key_points)
            content += f"<h2>Key Points</h2><ul>{points}</ul>"
        content += "".join(f"<p>{escape(p)}</p>" for p in (a.body or (a.summary,)))
        cats = "".join(f"<category>{escape(c)}</category>" for c in a.categories)
        items.append(
            f"""    <item>
      <title>{escape(a.title)}</title>
      <link>{SITE}/news/{a.slug}?utm_source=rss&amp;utm_medium=feed</link>
      <guid isPermaLink="false">skn-{a.slug}</guid>
      <dc:creator>{escape(a.author)}</dc:creator>
      <skn:readMinutes>{a.read_minutes}</skn:readMinutes>
      <pubDate>{format_datetime(published)}</pubDate>
      {cats}
      <description>{escape(a.summary)}</description>
      <content:encoded><![CDATA[{content}]]></content:encoded>
    </item>"""
        )
    body = "\n".join(items)
    return f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"
     xmlns:content="http://purl.org/rss/1.0/modules/content/"
     xmlns:skn="https://www.skn.example/ns/feed">
  <channel>
    <title>SKN Markets — latest articles</title>
    <link>{SITE}/</link>
    <description>Market stories from SKN</description>
    <language>en</language>
{body}
  </channel>
</rss>
"""


DEMO_PEOPLE = (
    ("dana.levi@example.com", "Dana Levi", "en", "Europe/London"),
    ("sam.carter@example.com", "Sam Carter", "en", "America/New_York"),
    ("priya.nair@example.com", "Priya Nair", "en", "Asia/Kolkata"),
    ("noa.cohen@example.com", "נועה כהן", "he", "Asia/Jerusalem"),
    ("avi.mizrahi@example.com", "אבי מזרחי", "he", "Asia/Jerusalem"),
    ("maya.ben-david@example.com", "Maya Ben-David", "he", "Asia/Jerusalem"),
)


def demo_subscribers(config: Config) -> list[SubscriberInput]:
    """A handful of subscribers: each joins the segments of their locale (else the first)."""
    out = []
    for email, name, locale, tz in DEMO_PEOPLE:
        segs = tuple(s.name for s in config.segments if s.locale == locale) or (
            config.segments[0].name,
        )
        topics = tuple(sorted({t for s in config.segments if s.name in segs for t in s.topics}))
        out.append(SubscriberInput(email, name, locale, tz, topics, segs))
    return out


def demo_config(config: Config, config_dir: Path) -> Config:
    """The config for the demo: the sample feed as the only source, the outbox transport."""
    feed = (config_dir / DEMO_FEED).resolve()
    transport = config.transport.model_copy(update={"kind": "outbox"})
    return config.model_copy(
        update={"sources": [Source(name=DEMO_SOURCE, url=str(feed))], "transport": transport}
    )


def prepare_demo(config: Config, config_dir: Path) -> App:
    """Create the database, write the sample feed and add the demo subscribers."""
    from digest.app import build

    config = demo_config(config, config_dir)
    app = build(config)
    upgrade(app.engine)
    now = app.clock()
    feed_path = Path(config.sources[0].url)
    feed_path.parent.mkdir(parents=True, exist_ok=True)
    page = SEED.read_text(encoding="utf-8")
    feed_path.write_text(demo_feed_xml(seed_articles(page), now), encoding="utf-8")
    with app.engine.begin() as conn:
        upsert_subscribers(conn, demo_subscribers(config), now, source="demo")
    return app
