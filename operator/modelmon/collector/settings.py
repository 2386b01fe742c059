"""Settings of one ``modelmon collect`` process: ``MODELMON_COLLECTOR_<NAME>`` or the command's flags."""

from __future__ import annotations

import pydantic
import pydantic_settings


class CollectorSettings(pydantic_settings.BaseSettings):
    model_config = pydantic_settings.SettingsConfigDict(env_prefix="MODELMON_COLLECTOR_", frozen=True, extra="forbid")

    store: str = ""
    """Where to write: a directory (a mounted volume) or s3://BUCKET/PREFIX (required)."""
    host: str = "0.0.0.0"
    port: int = pydantic.Field(default=8080, ge=0, le=65535)
    """Port of the events endpoint (POST /), /healthz, /readyz and /metrics; 0: any free port."""
    max_buffered_events: int = pydantic.Field(default=50_000, ge=2)
    """Events held in memory at most; beyond it, 503 until a flush frees room."""
    max_buffered_bytes: int = pydantic.Field(default=64 << 20, ge=1024)
    """Payload bytes held in memory at most (a batch of many instances is one event); 503 beyond."""
    flush_rows: int = pydantic.Field(default=10_000, ge=1)
    """Write as soon as this many rows are ready."""
    flush_interval_seconds: float = pydantic.Field(default=60.0, gt=0)
    """Write what is ready at least this often (the data's freshness in the store)."""
    pair_timeout_seconds: float = pydantic.Field(default=30.0, gt=0)
    """How long a request waits for its response (and a response for its request)."""
    max_event_bytes: int = pydantic.Field(default=4 << 20, ge=1024)
    """Largest event body accepted (413 beyond)."""
    shutdown_seconds: float = pydantic.Field(default=25.0, gt=0)
    """On SIGTERM, how long to keep retrying the last write (below the pod's terminationGracePeriodSeconds)."""
    wal_dir: str = ""
    """A directory for the write-ahead log (each event recorded before its 200, replayed after a kill);
    empty: none, and a SIGKILL loses what is buffered."""
    writer: str = ""
    """Part of every file name, so replicas never collide; empty: the host name (the pod's name)."""
