"""Where a monitor keeps the history of its checks and each check's HTML report."""

from __future__ import annotations

import pydantic

from modelmon.api.base import SpecModel
from modelmon.api.durations import Duration

#: Where the check job mounts ``history.volumeClaim`` (read-write).
MOUNT_PATH = "/history"
DNS_LABEL = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
_FOLDER = r"^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*$"


class HistorySpec(SpecModel):
    """Each check appends its record (health, verdicts, scores, data quality, performance, model
    version) to a store of day partitions and, with ``reports``, publishes its HTML report beside
    it; ``status.lastCheck.history`` says where. ``modelmon history --monitor`` reads it back."""

    volume_claim: str = pydantic.Field(min_length=1, max_length=63, pattern=DNS_LABEL)
    """PersistentVolumeClaim holding the store, mounted read-write at /history in the check job
    (ReadWriteMany, or ReadWriteOnce when checks run on one node)."""
    path: str | None = pydantic.Field(default=None, max_length=253, pattern=_FOLDER)
    """Folder of the store inside the claim; the monitor's name when absent."""
    retention: Duration = "90d"
    """Days of records and reports older than this are removed by the check that finds them."""
    reports: bool = True
    """Publish each check's HTML report (reports/date=YYYY-MM-DD/<time>.html in the store)."""
    report_url: str | None = pydantic.Field(
        default=None, max_length=1024, pattern=r"^https?://[^\s]+$", alias="reportURL"
    )
    """Base URL at which the store's folder is served (e.g. a web server mounting the claim);
    each report's link in status and alerts is this plus the report's path in the store."""

    @pydantic.field_validator("path")
    @classmethod
    def _inside(cls, value: str | None) -> str | None:
        if value is not None and any(part in (".", "..") for part in value.split("/")):
            raise ValueError(f"history.path {value!r} must stay inside the claim: drop '.' and '..' parts")
        return value

    def folder(self, monitor: str) -> str:
        """The store's folder as the check job sees it."""
        return f"{MOUNT_PATH}/{self.path or monitor}"
