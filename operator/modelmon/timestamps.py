"""Times as status, Events and notifications write them, in one place: RFC 3339 in UTC with ``Z``
(Kubernetes' metav1.Time), to the second; to the millisecond where a time identifies
something (a check's ``lastCheck.time``: a check-now may finish within the second of a
scheduled one) or where the receiver expects it (Alertmanager).

>>> format_time(datetime.datetime(2026, 11, 23, 10, 0, 5, 250000, tzinfo=datetime.UTC))
'2026-11-23T10:00:05Z'
>>> format_epoch(1795428005.25, milliseconds=True)
'2026-11-23T10:00:05.250Z'
>>> parse_time("2026-11-23T10:00:05Z") == datetime.datetime(2026, 11, 23, 10, 0, 5, tzinfo=datetime.UTC)
True
"""

from __future__ import annotations

import datetime


def now() -> datetime.datetime:
    """The clock, read at the edges only (planners take ``now`` as an argument)."""
    return datetime.datetime.now(tz=datetime.UTC)


def format_time(moment: datetime.datetime, *, milliseconds: bool = False) -> str:
    text = moment.astimezone(datetime.UTC).isoformat(timespec="milliseconds" if milliseconds else "seconds")
    return text.replace("+00:00", "Z")


def format_epoch(epoch: float, *, milliseconds: bool = False) -> str:
    return format_time(datetime.datetime.fromtimestamp(epoch, tz=datetime.UTC), milliseconds=milliseconds)


def parse_time(text: object) -> datetime.datetime | None:
    """A time of the status (``Z`` or an offset; no offset means UTC); None when absent or unreadable."""
    if not text:
        return None
    try:
        parsed = datetime.datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.UTC)


def to_epoch(text: object) -> float | None:
    parsed = parse_time(text)
    return parsed.timestamp() if parsed else None


def elapsed(since: object, now: datetime.datetime) -> float:
    """Seconds from ``since`` to ``now``; 0 when ``since`` is unknown."""
    start = parse_time(since)
    return (now - start).total_seconds() if start else 0.0
