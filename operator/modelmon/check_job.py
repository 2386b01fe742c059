"""``modelmon check --monitor NS/NAME``: the drift-check job's body.

Reads the monitor's spec, fetches its data, runs the same check as the terminal command,
and writes the summary to ``status.lastCheck`` through the status subresource. Unreadable
data is a report too (``lastCheck.error``), so the operator can say DataUnavailable.
"""

from __future__ import annotations

import dataclasses
import datetime
import os
import tempfile
import time
from collections.abc import Callable
from typing import Any, cast

import kubernetes
import pyarrow as pa
import pydantic

from modelmon import timestamps
from modelmon import check_history, checking
from modelmon.api import monitor as api
from modelmon.api.drift import CheckConfig
from modelmon.data import datasets, tables
from modelmon.data.errors import DataError
from modelmon.drift import distributions, summary
from modelmon.drift.results import DriftReport
from modelmon.k8s import client, errors, sources
from modelmon.performance import assessment
from modelmon.performance.report import PerformanceReport
from modelmon.policies import active_model, collected_source


#: status.lastCheck.error's maxLength in the CRD.
ERROR_LIMIT = 1024


def unreadable_message(error: Exception) -> str:
    """lastCheck.error for a check whose data could not be read. Besides DataError, what pyarrow's
    lazy reads raise that no reader turned into one (a corrupt page found only when a column is
    decoded, text that is not UTF-8) is still the data, not the job: reported as DataUnavailable
    with the job exiting 0 -- not 1 ("API unreachable, retry"), which wrote nothing and burnt the
    Job's backoff."""
    if isinstance(error, DataError):
        text = " ".join(str(error).split())
    else:
        first = (str(error).splitlines() or [""])[0]
        text = (f"the data could not be read ({type(error).__name__}: {first}); check that the files of "
                f"spec.reference and spec.current are complete and in their format, and rewrite a corrupt one")
    # status.lastCheck.error holds at most 1024 characters: a longer one (a long URI) would be refused
    # with 422 and the job would exit 1 with nothing written.
    return text if len(text) <= ERROR_LIMIT else text[: ERROR_LIMIT - 1] + "…"


class MonitorCheckError(Exception):
    """The check could not even start (monitor missing, invalid spec, API refused)."""


@dataclasses.dataclass(frozen=True)
class Outcome:
    last_check: dict[str, Any]
    report: DriftReport | None
    performance: PerformanceReport | None = None


def read_spec(*, namespace: str, name: str) -> api.ModelMonitorSpec:
    """The monitor's spec as checks judge it (the active model's version, reference and baseline in place
    of the spec's while it is in force: policies/active_model.py); MonitorCheckError when it cannot be
    read or is invalid."""
    try:
        body = cast(dict[str, Any], client.custom_objects().get_namespaced_custom_object(
            api.GROUP, api.VERSION, namespace, api.PLURAL, name))
    except kubernetes.client.ApiException as error:
        raise MonitorCheckError(f"cannot read ModelMonitor {namespace}/{name}: {errors.api_message(error)}") from error
    except kubernetes.config.ConfigException as error:
        # a person's CLI run (report/history --monitor) with no kubeconfig and not in a pod
        raise MonitorCheckError(f"cannot read ModelMonitor {namespace}/{name}: no cluster to talk to ({error}); "
                                "set KUBECONFIG or run inside the cluster") from error
    try:
        spec = api.parse_spec(body.get("spec") or {})
        spec = active_model.judged_spec(spec, raw_spec=body.get("spec") or {}, status=body.get("status"))
        # the operator passes its collector store only to a check whose current data needs it
        current = collected_source.resolve(spec.current, namespace=namespace,
                                           store=os.environ.get(collected_source.STORE_ENV, ""))
        return spec.model_copy(update={"current": current})
    except pydantic.ValidationError as error:
        raise MonitorCheckError(f"ModelMonitor {namespace}/{name} has an invalid spec: {error.errors()[0]['msg']}") from error
    except collected_source.Unresolvable as error:
        # outside its job (modelmon report --monitor on a laptop) the variable is the user's to set
        hint = "" if os.environ.get(collected_source.STORE_ENV) else \
            f" (outside the check job, set {collected_source.STORE_ENV} to the collector's store)"
        raise MonitorCheckError(f"ModelMonitor {namespace}/{name} has an invalid spec: {error}{hint}") from error


def run_monitor_check(*, namespace: str, name: str, clock: Callable[[], float] = time.time) -> Outcome:
    spec = read_spec(namespace=namespace, name=name)
    started = time.perf_counter()
    reporting = spec.history is not None and spec.history.reports
    checked = None
    try:
        report, performance, sketches = check_data(spec, namespace=namespace, clock=clock, sketch=reporting)
        checked = check_history.Checked(report=report, performance=performance, sketches=sketches,
                                        config=config_of(spec))
        outcome = Outcome(last_check=summary.summarise(report, finished_at=timestamps.format_epoch(clock(), milliseconds=True), performance=performance),
                          report=report, performance=performance)
    except (DataError, pa.ArrowException, UnicodeDecodeError, OSError) as error:
        outcome = Outcome(last_check=summary.unavailable(error=unreadable_message(error), finished_at=timestamps.format_epoch(clock(), milliseconds=True),
                                                         duration_seconds=time.perf_counter() - started), report=None)
    if spec.history is not None:
        outcome.last_check["history"] = check_history.publish(
            spec.history, folder=spec.history.folder(name), monitor=name, last_check=outcome.last_check, checked=checked,
            model_version=spec.model.version, now=datetime.datetime.fromtimestamp(clock(), tz=datetime.UTC))
    write_last_check(namespace=namespace, name=name, last_check=outcome.last_check)
    return outcome


def check_data(spec: api.ModelMonitorSpec, *, namespace: str, clock: Callable[[], float] = time.time,
               sketch: bool = False) -> tuple[DriftReport, PerformanceReport | None, dict[str, distributions.Sketch]]:
    """The monitor's check of its data, as the job runs it (no status written); with ``sketch``, the
    sketches of the distributions too (``modelmon report --monitor``). Raises DataError."""
    config = config_of(spec)
    with tempfile.TemporaryDirectory(prefix="modelmon-") as scratch:
        reference = sources.open_source(spec.reference, namespace=namespace, label="reference", scratch=scratch)
        current = sources.open_source(spec.current, namespace=namespace, label="current", scratch=scratch, count=False)
        performance = _performance(spec, predictions=current, namespace=namespace, scratch=scratch, now=clock())
        current = datasets.current_window(current, spec.current, now=clock())
        if sketch:
            report, sketches = checking.run_check_sketched(reference=reference, current=current, config=config)
            return report, performance, sketches
        return checking.run_check(reference=reference, current=current, config=config), performance, {}


def config_of(spec: api.ModelMonitorSpec) -> CheckConfig:
    """The check's configuration in a monitor's spec."""
    return CheckConfig(features=spec.features, drift=spec.drift, data_quality=spec.data_quality)


def _performance(spec: api.ModelMonitorSpec, *, predictions: tables.Table, namespace: str, scratch: str,
                 now: float) -> PerformanceReport | None:
    """Performance over the current data its windows need (not the drift window): its longest
    duration window, or the newest predictions holding enough labelled ones for its row windows
    (datasets.performance_spans), or all of it when they are mixed; pushed down. An unreadable
    ground truth makes its verdicts unknown and leaves the drift check standing."""
    wanted = spec.performance
    if wanted is None:
        return None
    truth = None
    if wanted.ground_truth is not None:
        try:
            truth = sources.open_source(wanted.ground_truth, namespace=namespace, label="performance.groundTruth",
                                        scratch=scratch, count=False)
        except DataError as error:
            return assessment.unavailable(wanted, reason=f"ground truth unavailable: {error}")
    predictions, truth = datasets.performance_span(predictions, truth, spec=wanted,
                                                   time_partitions=spec.current.time_partitions, now=now)
    needed = datasets.rows_needed(wanted)
    for span, whole in datasets.performance_spans(predictions, wanted):
        report = checking.run_performance(span, spec=wanted, ground_truth=truth, now=now)
        if whole or (needed is not None and report.labelled >= needed):
            break
    return report


def write_last_check(*, namespace: str, name: str, last_check: dict[str, Any]) -> None:
    patch = {"status": {"lastCheck": last_check}}
    try:
        client.custom_objects().patch_namespaced_custom_object_status(
            api.GROUP, api.VERSION, namespace, api.PLURAL, name, patch)
    except kubernetes.client.ApiException as error:
        raise MonitorCheckError(f"cannot write status of ModelMonitor {namespace}/{name}: "
                                f"{errors.api_message(error)}") from error
