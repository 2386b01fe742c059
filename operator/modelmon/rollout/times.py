"""Timestamps as status holds them (RFC 3339, UTC, seconds)."""

from __future__ import annotations

import datetime


def iso(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse(text: str | None) -> datetime.datetime | None:
    if not text:
        return None
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


def elapsed(since: str | None, now: datetime.datetime) -> float:
    """Seconds from ``since`` to ``now``; 0 when ``since`` is unknown."""
    start = parse(since)
    return (now - start).total_seconds() if start else 0.0
