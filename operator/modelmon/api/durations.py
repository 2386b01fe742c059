"""Durations as Kubernetes users write them: ``90s``, ``15m``, ``2h``, ``7d``, ``1h30m``."""

from __future__ import annotations

import re
from typing import Annotated

import pydantic

PATTERN = r"^([0-9]+(ms|s|m|h|d))+$"
_PART = re.compile(r"([0-9]+)(ms|s|m|h|d)")
_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> float:
    """Seconds in ``text``; raises ValueError naming the accepted form."""
    if not re.fullmatch(PATTERN, text or ""):
        raise ValueError(f"{text!r} is not a duration: write e.g. 90s, 15m, 2h, 7d or 1h30m")
    return sum(int(n) * _SECONDS[unit] for n, unit in _PART.findall(text))


def _check(text: str) -> str:
    parse_duration(text)
    return text


# The pattern goes to the JSON schema (and so the CRD) only: ``_check`` validates, with a message
# that shows the accepted form, which a bare pattern mismatch would not.
Duration = Annotated[str, pydantic.AfterValidator(_check), pydantic.Field(json_schema_extra={"pattern": PATTERN})]
