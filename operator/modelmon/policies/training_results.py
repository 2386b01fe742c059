"""The training container's result and its validation, pure.

The container reports its result as JSON in its termination message (at most 4096 bytes,
the kubelet's limit), for example::

    {"modelUri": "s3://models/credit/1.5.0/model.onnx", "version": "1.5.0",
     "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
     "metrics": {"accuracy": 0.91, "f1": 0.88}}

It may also name the new model's reference data, ``"reference": "s3://data/credit/1.5.0/reference.parquet"``
(or an object as a monitor's ``spec.reference``): once the model is promoted, the monitor's checks compare
production data with it (its metrics become the monitor's baseline).

A result that is missing, not JSON, lacks a field or carries a metric that is not a finite
number is rejected with a message that says what was wrong and what was expected. The
result is then judged against ``spec.validation``: absolute bounds, and deltas from the
monitor's ``spec.performance.baseline`` (read defensively: a monitor without a baseline for
a metric fails a relative bound with a message naming the missing baseline).

A relative bound on a share of the validation rows (accuracy, hitRate) is also a test when the
result says how many rows it was measured on (``"validationSamples": 2000``): with margin
``d = baseline + minDeltaFromBaseline`` the one-sided test of ``H0: metric <= d`` against
``H1: metric > d`` (``maxDeltaFromBaseline``: ``H1: metric < d``) -- superiority for a positive
delta, non-inferiority for a negative one -- must give ``p <= validation.significanceLevel``
(default 0.05). The test is ``stats.proportions.one_proportion_test`` (z-test, exact binomial
on small samples), the baseline taken as a known constant (its own backtest error is not in
the test). Worked example: accuracy 0.91 on 2,000 rows against baseline 0.88 with
``minDeltaFromBaseline: 0``: ``z = 0.03 / sqrt(0.88 * 0.12 / 2000) = 4.13``, p = 1.8e-05: pass;
on 200 rows z = 1.31, p = 0.096: FAIL, the 3 points could be chance.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
from collections.abc import Mapping
from typing import Any

import pydantic

from modelmon.api.retraining import MetricRequirement, TrainedModel, ValidationSpec
from modelmon.api.sources import DataSource
from modelmon.stats import proportions

#: Metrics that are a share of the validation rows, so the validation sample size makes them testable.
TESTABLE: frozenset[str] = frozenset({"accuracy", "hitRate"})
DEFAULT_SIGNIFICANCE = 0.05

EXAMPLE = '{"modelUri": "s3://bucket/model", "version": "1.5.0", "sha256": "<64 hex>", "metrics": {"accuracy": 0.9}}'
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class InvalidResult(ValueError):
    """The termination message is not a usable training result; the message says why."""


def parse_result(message: str | None) -> TrainedModel:
    """The model in a termination message; raises :class:`InvalidResult`."""
    if message is None or not message.strip():
        raise InvalidResult("the training container wrote no termination message: write the result as JSON to "
                            f"/dev/termination-log, e.g. {EXAMPLE}")
    try:
        raw = json.loads(message)
    except json.JSONDecodeError as error:
        raise InvalidResult(f"the termination message is not JSON ({error.msg} at character {error.pos}): "
                            f"{_excerpt(message)}; write one JSON object to /dev/termination-log, e.g. {EXAMPLE}") from None
    if not isinstance(raw, dict):
        raise InvalidResult("the termination message is JSON but not an object; write one JSON object to "
                            f"/dev/termination-log, e.g. {EXAMPLE}")
    problems = []
    for field in ("modelUri", "version", "sha256"):
        value = raw.get(field)
        if not isinstance(value, str) or not value.strip():
            problems.append(f"{field} missing or not a non-empty string")
    sha = raw.get("sha256")
    if isinstance(sha, str) and sha.strip() and not _SHA256.match(sha.strip().lower()):
        problems.append("sha256 must be 64 hex digits (the artefact's SHA-256)")
    metrics = raw.get("metrics", {})
    if not isinstance(metrics, dict):
        problems.append("metrics must be an object of metric name to number")
        metrics = {}
    for name, value in metrics.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            problems.append(f"metrics.{name} must be a finite number, got {value!r}")
    samples = raw.get("validationSamples")
    if samples is not None and (isinstance(samples, bool) or not isinstance(samples, int) or samples < 1):
        problems.append(f"validationSamples must be a positive integer (rows of the validation sample), got {samples!r}")
    reference = _reference(raw.get("reference"), problems)
    if problems:
        raise InvalidResult("invalid training result: " + "; ".join(problems))
    return TrainedModel(uri=raw["modelUri"].strip(), version=raw["version"].strip(), sha256=str(sha).strip().lower(),
                        metrics={str(k): float(v) for k, v in metrics.items()}, validation_samples=samples,
                        reference=reference)


def _reference(value: object, problems: list[str]) -> DataSource | None:
    """The result's ``reference``: a URI string, or an object as a monitor's spec.reference."""
    if value is None:
        return None
    raw = {"uri": value} if isinstance(value, str) else value
    try:
        return DataSource.model_validate(raw)
    except pydantic.ValidationError as error:
        problems.append(f"reference must be a data URI or an object like a monitor's spec.reference "
                        f"({error.errors()[0]['msg']})")
        return None


@dataclasses.dataclass(frozen=True, kw_only=True)
class Verdict:
    passed: bool
    lines: list[str]
    """One line per bound checked, e.g. ``accuracy 0.91 >= min 0.85: pass``."""

    @property
    def failures(self) -> list[str]:
        return [line for line in self.lines if not line.endswith(": pass")]


def validate(model: TrainedModel, *, validation: ValidationSpec | None,
             baseline: Mapping[str, Any] | None) -> Verdict:
    """Judge ``model`` against every bound of ``validation``."""
    lines: list[str] = []
    for requirement in (validation.metrics if validation else []):
        lines += _judge(requirement, value=model.metrics.get(requirement.name), baseline=baseline or {},
                        samples=model.validation_samples, validation=validation)
    return Verdict(passed=all(line.endswith(": pass") for line in lines), lines=lines)


def _judge(requirement: MetricRequirement, *, value: float | None, baseline: Mapping[str, Any],
           samples: int | None, validation: ValidationSpec | None) -> list[str]:
    name = requirement.name
    if value is None:
        return [f"{name}: missing from the training result's metrics"]
    lines = []
    if requirement.min is not None:
        lines.append(_line(f"{name} {value:.6g} >= min {requirement.min:.6g}", value >= requirement.min))
    if requirement.max is not None:
        lines.append(_line(f"{name} {value:.6g} <= max {requirement.max:.6g}", value <= requirement.max))
    relative = [(requirement.min_delta_from_baseline, ">="), (requirement.max_delta_from_baseline, "<=")]
    for delta, sign in relative:
        if delta is None:
            continue
        base = baseline.get(name)
        if isinstance(base, bool) or not isinstance(base, (int, float)):
            lines.append(f"{name}: a bound relative to the baseline, but the monitor has no "
                         f"spec.performance.baseline.{name}")
            continue
        difference = value - float(base)
        ok = difference >= delta if sign == ">=" else difference <= delta
        text = f"{name} {value:.6g} - baseline {float(base):.6g} = {difference:+.6g} {sign} {delta:+.6g}"
        if ok and validation is not None:
            text, ok = _significance(text, name=name, value=value, margin=float(base) + delta,
                                     greater=sign == ">=", samples=samples, validation=validation)
        lines.append(_line(text, ok))
    return lines


def _significance(text: str, *, name: str, value: float, margin: float, greater: bool, samples: int | None,
                  validation: ValidationSpec) -> tuple[str, bool]:
    """The bound's line with its test appended, and whether it still passes (module docstring)."""
    if name not in TESTABLE:
        return f"{text} (no test: {name} is not a share of the validation rows)", True
    if samples is None:
        why = "the training result reports no validationSamples, so the margin could not be tested"
        if validation.require_significance:
            return f"{text}, but {why} (validation.requireSignificance)", False
        return f"{text} (untested: {why})", True
    if not 0.0 < margin < 1.0 or not 0.0 <= value <= 1.0:
        return f"{text} (no test: margin {margin:.6g} or value outside (0, 1))", True
    successes = min(samples, max(0, round(value * samples)))
    result = proportions.one_proportion_test(successes, samples, baseline=margin,
                                             alternative="greater" if greater else "less")
    alpha = validation.significance_level or DEFAULT_SIGNIFICANCE
    p_value = 1.0 if result.p_value is None else result.p_value
    test = "exact binomial test" if result.z is None else f"z-test (z={result.z:.3g})"
    side = ">" if greater else "<"
    passed = p_value <= alpha
    return (f"{text}; one-sided {test} of {name} {side} {margin:.6g} on n={samples}: "
            f"p={p_value:.2g} {'<=' if passed else '>'} {alpha:g}"), passed


def _line(text: str, ok: bool) -> str:
    return f"{text}: {'pass' if ok else 'FAIL'}"


def _excerpt(text: str, limit: int = 120) -> str:
    flat = " ".join(text.split())
    return repr(flat if len(flat) <= limit else flat[:limit] + "...")
