"""A monitor's spec.current.inferenceService, resolved to the dataset the KServe collector writes.

The collector (``modelmon collect``, docs/kserve.md) writes each model's rows under
``<store>/<namespace>/<inferenceservice>/<component>/date=YYYY-MM-DD/hour=HH/``; the operator knows
the store from its settings (the chart's collector.store) and hands it to the check job, which
resolves the reference here into the uri a monitor would otherwise write by hand.
"""

from __future__ import annotations

import pydantic

from modelmon.api.monitor import CurrentData
from modelmon.api.sources import TimePartitions

FIELD = "spec.current.inferenceService"
#: The variable holding the store: the operator's setting, and the check job's when its monitor needs it.
STORE_ENV = "MODELMON_COLLECTOR_STORE"


class Unresolvable(ValueError):
    """The reference cannot be resolved; the message is one line naming the field and the fix."""


def store_uri(store: str) -> str:
    """The store as a uri with no trailing slash: a plain path (the collector's volume) is file://."""
    store = store.strip().rstrip("/")
    return f"file://{store}" if store.startswith("/") else store


def problem(current: CurrentData, *, store: str, claim: str = "") -> str | None:
    """Why ``current`` cannot be resolved with this store (empty: no collector, or one writing to the
    PersistentVolumeClaim ``claim`` in the operator's namespace), or None."""
    if current.inference_service is None:
        return None
    if not store_uri(store) and claim:
        return (
            f"{FIELD}: the collector writes to the PersistentVolumeClaim {claim!r} in the operator's namespace, "
            f"which check jobs cannot mount; set the chart's collector.store.uri (an object store) instead, "
            f"or spec.current.uri with checkJob.volumeClaim (docs/kserve.md)"
        )
    if not store_uri(store):
        return (
            f"{FIELD}: this operator has no collector store; install the chart with collector.enabled=true "
            f"and collector.store.uri (docs/kserve.md), or set spec.current.uri instead"
        )
    return None


def resolve(current: CurrentData, *, namespace: str, store: str) -> CurrentData:
    """``current`` with its inferenceService replaced by the collector's dataset of that model: a
    parquet directory, pruned by its date/hour partitions (the keys the collector writes unless the
    spec names others). A source without inferenceService comes back as it is."""
    ref = current.inference_service
    if ref is None:
        return current
    reason = problem(current, store=store)
    if reason:
        raise Unresolvable(reason)
    raw = current.model_dump(by_alias=True, exclude_unset=True, mode="json", exclude={"inference_service"})
    raw["uri"] = f"{store_uri(store)}/{namespace}/{ref.name}/{ref.component}/"
    raw["format"] = "parquet"
    raw.setdefault("timePartitions", TimePartitions().model_dump(by_alias=True))
    try:
        # validated again: s3, gcs and azure options must now suit the store's scheme
        return CurrentData.model_validate(raw)
    except pydantic.ValidationError as error:
        raise Unresolvable(
            f"{FIELD}: the collector's store {store_uri(store)!r} does not suit this source: {error.errors()[0]['msg']}"
        ) from error
