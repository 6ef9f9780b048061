"""The Engagement pages: a segment's last 30 editions and audience over time, one edition's
provider events as counts, rates and a chart of events since the send."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import Response

from digest.engagement import (
    audience_over_time,
    edition_engagement,
    engagement_timeline,
    segment_engagement,
)
from digest.web.desk.auth import desk_context
from digest.web.desk.ops.charts import Series, line_chart
from digest.web.desk.ops.charts import percent as axis_percent
from digest.web.desk.ops.common import (
    NotFound,
    OpsStaff,
    date_param,
    number,
    page,
    percent,
    segment_param,
    text,
    when,
)

AUDIENCE_DAYS = 90


def router() -> APIRouter:
    """Routes of the Engagement pages."""
    api = APIRouter()

    @api.get("/desk/ops/engagement")
    def overview(request: Request, staff: OpsStaff, segment: str | None = None) -> Response:
        app = desk_context(request).app
        seg = segment_param(request, segment) if segment else app.config.segments[0].name
        _ = text(request)
        editions = segment_engagement(app, seg)
        oldest_first = list(reversed(editions))
        labels = [f.edition_date.strftime("%d %b") for f in oldest_first]
        rates_chart = line_chart(
            _("Opened and clicked, last %(n)s editions", n=len(editions)),
            labels,
            [
                Series(_("opened"), [f.rates["opened"] for f in oldest_first]),
                Series(_("clicked"), [f.rates["clicked"] for f in oldest_first]),
                Series(_("bounced"), [f.rates["bounced"] for f in oldest_first]),
            ],
            summary=_("Share of delivered recipients who opened or clicked, per edition."),
            fmt=axis_percent,
        )
        audience = audience_over_time(app, seg, AUDIENCE_DAYS)
        audience_chart = line_chart(
            _("Subscribers over time"),
            [p.day.strftime("%d %b") for p in audience],
            [
                Series(_("subscribed"), [p.subscribers for p in audience]),
                Series(_("would be sent now"), [p.eligible for p in audience]),
            ],
            summary=_("Active subscribers of the segment per day, and those a send would reach."),
        )
        return page(
            request,
            "ops/engagement.html",
            staff,
            segment=seg,
            segments=app.config.segments,
            editions=editions,
            audience=audience,
            rates_chart=rates_chart,
            audience_chart=audience_chart,
            number=number,
            percent=percent,
        )

    @api.get("/desk/ops/engagement/{segment}/{edition_date}")
    def edition(request: Request, staff: OpsStaff, segment: str, edition_date: str) -> Response:
        app = desk_context(request).app
        seg, day = segment_param(request, segment), date_param(request, edition_date)
        _ = text(request)
        figures = edition_engagement(app, seg, day)
        if figures is None:
            raise NotFound(_("%(segment)s has no edition for %(date)s.", segment=seg, date=day))
        timeline = engagement_timeline(app, figures)
        names = {"delivered": _("delivered"), "open": _("opens"), "click": _("clicks"),
                 "bounce": _("bounces")}  # fmt: skip
        labels = [_offset(timeline.step * i) for i in range(timeline.steps)]
        chart = line_chart(
            _("Events since the send began"),
            labels,
            [Series(names[k], v) for k, v in timeline.series.items()],
            summary=_(
                "Provider events per %(step)s from %(start)s.",
                step=_offset(timeline.step),
                start=when(timeline.start),
            ),
        )
        rows = [
            (name, [timeline.series[k][i] for k in timeline.series])
            for i, name in enumerate(labels)
        ]
        return page(
            request,
            "ops/engagement_edition.html",
            staff,
            figures=figures,
            chart=chart,
            series_names=[names[k] for k in timeline.series],
            rows=rows,
            number=number,
            percent=percent,
            when=when,
        )

    return api


def _offset(delta: timedelta) -> str:
    hours = int(delta.total_seconds() // 3600)
    return f"+{hours // 24}d" if hours >= 48 and hours % 24 == 0 else f"+{hours}h"
