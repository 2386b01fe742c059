"""A reference to one key of a Secret, shared by the alert sinks' and the analysis providers' specs.

Its own module so that the rollout's spec can use it without importing the alerts' (which parse URLs:
the rollout state machine's purity contract forbids urllib)."""

from __future__ import annotations

import pydantic

from modelmon.api.base import SpecModel

DNS_SUBDOMAIN = r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$"


class SecretKeyRef(SpecModel):
    """A key of a Secret in the object's own namespace."""

    name: str = pydantic.Field(min_length=1, max_length=253, pattern=DNS_SUBDOMAIN)
    """Name of the Secret."""
    key: str = pydantic.Field(min_length=1, max_length=253, pattern=r"^[-._a-zA-Z0-9]+$")
    """Key in the Secret's data."""
