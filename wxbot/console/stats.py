"""The statistics page: what readers did with each issue, per account, and the reads chart.

Both read only what the worker (or ``wxbot stats --collect``) stored: a page view never
calls WeChat. The chart is drawn on request with matplotlib's Agg canvas.
"""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, Response, abort, current_app, render_template, request

from ..runtime import Runtime, get_runtime
from ..stats import report as stats_report
from .auth import login_required

bp = Blueprint("console_stats", __name__, url_prefix="/console/stats")

#: Days back the page shows unless asked for another start: a quarter of sends.
DEFAULT_DAYS = 90
#: How long a browser may keep a drawn chart: statistics change once a day.
CHART_MAX_AGE = 600


def _since(runtime: Runtime) -> dt.date:
    """Return the query string's ``since``, else :data:`DEFAULT_DAYS` ago; 400 if unreadable."""
    text = request.args.get("since", "").strip()
    if not text:
        return runtime.now().astimezone(runtime.tz).date() - dt.timedelta(days=DEFAULT_DAYS)
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        abort(400, f"since: {text!r} is not a date (YYYY-MM-DD)")


@bp.get("")
@login_required
def index() -> str:
    """Show reads, readers, shares, favourites and read-through per issue, topics, followers."""
    runtime = get_runtime(current_app)
    since = _since(runtime)
    reports = stats_report.account_reports(runtime, since=since)
    return render_template(
        "console/stats.html",
        reports=reports,
        several=len(reports) > 1,
        since=since,
        enabled=runtime.settings.stats.enabled,
        collected=stats_report.collected_anything(reports),
        collect_hour=runtime.settings.stats.collect_hour,
        zone=runtime.tz.key,
    )


@bp.get("/reads.png")
@login_required
def reads_png() -> Response:
    """Answer the chart of reads per day: a line per account when several, else per issue."""
    from ..stats.chart import reads_chart

    runtime = get_runtime(current_app)
    reports = stats_report.account_reports(runtime, since=_since(runtime))
    png = reads_chart(stats_report.chart_rows(reports), runtime.settings, width=960, height=420)
    response = Response(png, mimetype="image/png")
    response.headers["Cache-Control"] = f"private, max-age={CHART_MAX_AGE}"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
