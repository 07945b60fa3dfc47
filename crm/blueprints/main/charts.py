"""The home page's charts: HomeStats turned into SVG whose every bar and slice links to its list."""

from typing import Optional

from flask import url_for
from markupsafe import Markup

from crm.models.problem import PROBLEM_STATUSES
from crm.reporting.svg import Item, Series, column_chart, donut_chart, hbar_chart
from crm.services.dashboard.stats import HomeStats

STATUS_COLOURS = {
    "new": "orange",
    "dispatched": "teal",
    "in_progress": "blue",
    "resolved": "green",
    "returned": "red",
    "closed": "grey",
}
COLOUR_LABELS = {"red": "红色预警", "yellow": "黄色预警", "green": "正常"}


def problems_url(park_id: Optional[int], **args) -> str:
    """/problems/ with the list's own filter names (URL contract), keeping the dashboard's park."""
    return url_for("problems.index", park=park_id or None, **args)


def home_charts(stats: HomeStats) -> dict[str, Markup]:
    """SVG charts: 三色 donut, status bars, 12-month new vs closed."""
    park = stats.park_id
    p = stats.problems
    colours = [
        Item(label, p.by_colour[key], problems_url(park, colour=key), key)
        for key, label in COLOUR_LABELS.items()
    ]
    statuses = [
        Item(label, p.by_status.get(key, 0), problems_url(park, status=key), STATUS_COLOURS[key])
        for key, label in PROBLEM_STATUSES.items()
    ]
    trend = stats.trend
    new = [
        Item(f"{m.start:%Y年%m月}新增", m.new, problems_url(park, raised_from=m.start, raised_to=m.end))
        for m in trend
    ]
    closed = [
        Item(
            f"{m.start:%Y年%m月}销号",
            m.closed,
            problems_url(park, closed_from=m.start, closed_to=m.end),
            "green",
        )
        for m in trend
    ]
    return {
        "colours": donut_chart(colours, "在办问题三色预警", str(p.open), "件在办"),
        "statuses": hbar_chart(statuses, "问题状态分布", label_width=70),
        "trend": column_chart(
            [m.label for m in trend],
            [Series("新增", "blue", new), Series("销号", "green", closed)],
            "近12个月新增与销号问题",
        ),
    }
