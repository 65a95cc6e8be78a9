"""Draw reads per issue over time as a PNG, with the covers' CJK font so titles render.

matplotlib's object API on the Agg canvas: no pyplot, so no global figure state and nothing
that needs a display; the web console can call :func:`reads_chart` from a request thread.
"""

from __future__ import annotations

import datetime as dt
import io
import threading
from collections import defaultdict
from collections.abc import Sequence

from ..config import Settings
from ..rendering.cover_images import font_face
from .report import DailyReads

#: Issues drawn as their own line; the rest are summed as one grey line.
MAX_LINES = 8
#: Dots per inch of the PNG; sizes are given in pixels.
DPI = 100

# matplotlib's font manager is shared by the process: register the font once, under a lock.
_FONT_LOCK = threading.Lock()
_font_families: dict[str, list[str]] = {}


def reads_chart(
    rows: Sequence[DailyReads],
    settings: Settings,
    *,
    width: int = 1200,
    height: int = 600,
    title: str = "阅读次数 / reads per day",
) -> bytes:
    """Return a ``width`` × ``height`` PNG of daily reads, one line per issue."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.dates import date2num
    from matplotlib.figure import Figure

    family = _family(settings)
    per_label: dict[str, dict[dt.date, int]] = defaultdict(dict)
    for row in rows:
        per_label[row.label][row.day] = per_label[row.label].get(row.day, 0) + row.reads
    ranked = sorted(per_label, key=lambda label: -sum(per_label[label].values()))
    figure = Figure(figsize=(width / DPI, height / DPI), dpi=DPI)
    axes = figure.add_subplot()
    for label in ranked[:MAX_LINES]:
        days = sorted(per_label[label])
        axes.plot(date2num(days), [per_label[label][d] for d in days], marker=".", label=label)
    if len(ranked) > MAX_LINES:
        rest: dict[dt.date, int] = defaultdict(int)
        for label in ranked[MAX_LINES:]:
            for day, reads in per_label[label].items():
                rest[day] += reads
        days = sorted(rest)
        axes.plot(
            date2num(days),
            [rest[d] for d in days],
            color="0.6",
            label=f"其他 {len(ranked) - MAX_LINES} 期",
        )
    axes.xaxis_date()
    axes.set_title(title, fontfamily=family)
    axes.set_ylabel("reads")
    axes.grid(True, alpha=0.3)
    if ranked:
        axes.legend(prop={"family": family, "size": 8}, loc="upper right")
    else:
        axes.text(0.5, 0.5, "暂无数据 / no data", ha="center", fontfamily=family)
    figure.autofmt_xdate()
    buffer = io.BytesIO()
    FigureCanvasAgg(figure).print_png(buffer)
    return buffer.getvalue()


def _family(settings: Settings) -> list[str]:
    """Register the cover font with matplotlib once; return its family names, SC first."""
    from matplotlib import font_manager

    path = str(font_face(settings).path)
    with _FONT_LOCK:
        if path not in _font_families:
            font_manager.fontManager.addfont(path)
            names = {e.name for e in font_manager.fontManager.ttflist if e.fname == path}
            _font_families[path] = sorted(names, key=lambda n: (not n.endswith(" SC"), n))
        return _font_families[path] + ["DejaVu Sans"]
