"""Times as editors read them: in the account's timezone, with the zone named."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo


def local_time(moment: dt.datetime, tz: ZoneInfo) -> str:
    """Return ``moment`` in ``tz`` as ``2026-06-13 09:00 CST (Asia/Shanghai)``.

    A naive ``moment`` is taken as UTC (SQLite hands stored UTC times back without a zone).
    """
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    local = moment.astimezone(tz)
    abbreviation = local.tzname() or ""
    zone = tz.key if abbreviation in ("", tz.key) else f"{abbreviation} ({tz.key})"
    return f"{local:%Y-%m-%d %H:%M} {zone}"
