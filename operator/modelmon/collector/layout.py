"""Where a captured row is written: the layout ModelMonitor sources read (docs/kserve.md, "The format").

::

    <store>/<namespace>/<inferenceservice>/<component>/date=YYYY-MM-DD/hour=HH/part-<unique>.parquet

``<store>/<namespace>/<inferenceservice>/<component>`` is one model's dataset (the *model root*);
below it, Hive-style partitions of the rows' event time in UTC, so a reader of a window opens only
the hours that can hold it. ``<unique>`` is the writing time, the writer (the pod's name) and a random
part, so replicas and restarts never overwrite each other's files. Files are complete when visible:
written under a temporary name starting with ``.`` (which dataset readers skip) and renamed, or put
to an object store in one request.
"""

from __future__ import annotations

import datetime

from modelmon.collector.events import ModelKey

#: The two columns every file has, before the features and the predictions.
ID, TIMESTAMP = "id", "timestamp"


def model_root(model: ModelKey) -> str:
    """The model's dataset, relative to the store."""
    return f"{model.namespace}/{model.name}/{model.component}"


def partition(time: datetime.datetime) -> str:
    """The hour partition of an event time (aware, any zone) in UTC (as capture.partition, which stays
    free of modelmon imports; a test holds the two equal)."""
    utc = time.astimezone(datetime.UTC)
    return f"date={utc:%Y-%m-%d}/hour={utc:%H}"
