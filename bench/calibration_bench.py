"""Calibration benchmark: how often the default verdicts are wrong, per shape and size of data.

Usage: ``python bench/calibration_bench.py [--quick] [--seed N]``

Each case draws (seeded) a reference and a current sample and runs the pure core of a check
with the defaults -- profile, per-feature comparison, adjustment over the features, dataset
verdict -- as ``modelmon check`` does after reading the files (reading is left out: it does
not change a verdict). Two kinds of case:

- ``false alarm``: reference and current from one distribution; the rate is the share of
  repetitions whose *dataset* verdict is drift (for a one-feature table: that feature drifted;
  for the performance cases: a steady model called critical). Target: at most 1 % (5 %, the
  stated significance level, for performance).
- ``detection``: the current sample carries one of the changes issue 15 says must be flagged;
  the rate is the share of repetitions in which the changed feature is flagged drifted.
  Target: at least 95 %. ``practical`` cases must *not* be flagged (a 0.02 sd shift at 1M rows).

Sizes from 100 to 10M rows; at 1M rows and more the reference is drawn once per case and
only the current sample is redrawn (the rate is then conditional on that reference, which is
what a monitor with a fixed reference sees). The repetitions shrink with the size to keep the
runtime bounded (a few minutes in full, well under a minute with ``--quick``); each row prints
the 95 % Clopper-Pearson interval so a rate can be read with its uncertainty. The full run
judges each rate (the point estimate) against its target; ``--quick``, with a fifth of the
repetitions, only asks that the interval leave the target possible (one chance false alarm
in 100 repetitions is 1 %). Exit status 1 when a case misses its target, 0 otherwise.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from collections.abc import Callable

import numpy as np
from scipy import stats as scipy_stats

from modelmon.api.drift import DriftSpec
from modelmon.api.performance import PerformanceSpec
from modelmon.drift import features, profile, verdict
from modelmon.drift.results import FeatureDrift
from modelmon.performance.assessment import assess_performance
from modelmon.performance.labelled import LabelledPredictions

SPEC = DriftSpec()
Rng = np.random.Generator


@dataclasses.dataclass(frozen=True)
class Case:
    kind: str  # "false alarm" | "detection" | "practical"
    name: str
    rows: int
    repetitions: int
    run: Callable[[Rng], bool]
    """One repetition: True when the verdict counted (drift / flagged / critical)."""

    @property
    def target(self) -> str:
        return {"false alarm": "<= 1%", "detection": ">= 95%", "practical": "<= 1%",
                "performance": "<= 5%"}[self.kind]

    def meets(self, rate: float) -> bool:
        return {"false alarm": rate <= 0.01, "detection": rate >= 0.95, "practical": rate <= 0.01,
                "performance": rate <= 0.05}[self.kind]

    def consistent(self, low: float, high: float) -> bool:
        """Whether the 95 % interval leaves the target possible (``--quick``'s looser reading)."""
        return self.meets(low) if self.kind != "detection" else self.meets(high)


# --------------------------------------------------------------------------- the core, as a check runs it


def numeric_feature(name: str, reference: np.ndarray | profile.NumericProfile, current: np.ndarray) -> FeatureDrift:
    ref = reference if isinstance(reference, profile.NumericProfile) else \
        profile.profile_numeric(name, reference, bins=SPEC.bins)
    return features.compare_numeric(ref, profile.sort_sample(current), spec=SPEC)


def categorical_feature(name: str, reference: np.ndarray, current: np.ndarray) -> FeatureDrift:
    ref = profile.profile_categorical(name, counts={f"k{i}": int(n) for i, n in enumerate(reference) if n}, missing=0)
    counts = {f"k{i}": int(n) for i, n in enumerate(current) if n}
    return features.compare_categorical(ref, counts=counts, missing=0, spec=SPEC)


def dataset_drifted(found: list[FeatureDrift]) -> bool:
    judged = verdict.adjust_for_multiplicity(found, spec=SPEC)
    return bool(verdict.assess_dataset(judged, drift_share=SPEC.drift_share).drifted)


def flagged(found: list[FeatureDrift], index: int = 0) -> bool:
    return verdict.adjust_for_multiplicity(found, spec=SPEC)[index].drifted


# --------------------------------------------------------------------------- shapes of data

SHAPES: dict[str, Callable[[Rng, int], np.ndarray]] = {
    "normal": lambda r, n: r.normal(10, 2, n),
    "lognormal": lambda r, n: r.lognormal(0, 1, n),
    "cauchy": lambda r, n: r.standard_cauchy(n),
    "pareto(1.1)": lambda r, n: r.pareto(1.1, n),
    "poisson(3) counts": lambda r, n: r.poisson(3, n).astype(float),
    "95% zeros": lambda r, n: np.where(r.random(n) < 0.95, 0.0, r.exponential(5, n)),
    "99.9% one value": lambda r, n: np.where(r.random(n) < 0.999, 1.0, r.normal(1, 1, n)),
}


def numeric_null(shape: str, rows: int, *, fixed_reference: bool) -> Callable[[Rng], bool]:
    draw = SHAPES[shape]
    cache: dict[str, profile.NumericProfile] = {}

    def run(rng: Rng) -> bool:
        if fixed_reference:
            if "ref" not in cache:
                cache["ref"] = profile.profile_numeric("x", draw(rng, rows), bins=SPEC.bins)
            reference: np.ndarray | profile.NumericProfile = cache["ref"]
        else:
            reference = draw(rng, rows)
        return dataset_drifted([numeric_feature("x", reference, draw(rng, rows))])
    return run


def numeric_shift(shape: str, rows: int, shift_sd: float, *, fixed_reference: bool) -> Callable[[Rng], bool]:
    """The whole current sample moved by ``shift_sd`` standard deviations of the shape (its
    sample std on a large draw; for the normal shape, sd 2)."""
    draw = SHAPES[shape]
    cache: dict[str, object] = {}

    def run(rng: Rng) -> bool:
        if "sd" not in cache:
            cache["sd"] = float(np.std(draw(np.random.default_rng(0), 1_000_000)))
        if fixed_reference and "ref" not in cache:
            cache["ref"] = profile.profile_numeric("x", draw(rng, rows), bins=SPEC.bins)
        reference = cache["ref"] if fixed_reference else draw(rng, rows)
        current = draw(rng, rows) + shift_sd * float(cache["sd"])  # type: ignore[arg-type]
        return flagged([numeric_feature("x", reference, current)])  # type: ignore[arg-type]
    return run


def categorical_null(categories: int, rows: int) -> Callable[[Rng], bool]:
    def run(rng: Rng) -> bool:
        p = rng.dirichlet(np.ones(categories))
        return dataset_drifted([categorical_feature("c", rng.multinomial(rows, p), rng.multinomial(rows, p))])
    return run


def new_category(rows: int, share: float = 0.05) -> Callable[[Rng], bool]:
    def run(rng: Rng) -> bool:
        p = rng.dirichlet(np.ones(10))
        current = np.append(rng.multinomial(rows - round(rows * share), p), round(rows * share))
        return flagged([categorical_feature("c", np.append(rng.multinomial(rows, p), 0), current)])
    return run


def frequency_change(rows: int, before: float, points: float = 0.10) -> Callable[[Rng], bool]:
    """Two categories, one moving from ``before`` to ``before + points``."""
    def run(rng: Rng) -> bool:
        reference = rng.multinomial(rows, [before, 1 - before])
        current = rng.multinomial(rows, [before + points, 1 - before - points])
        return flagged([categorical_feature("c", reference, current)])
    return run


def wide_table(columns: int, rows: int, *, shifted: bool) -> Callable[[Rng], bool]:
    """``columns`` features (numeric shapes and categoricals of 2 to 50 categories in turn); with
    ``shifted`` the first, normal, feature moves by 0.5 sd and the case counts it being flagged."""
    shapes = ["normal", "lognormal", "poisson(3) counts", "95% zeros"]

    def run(rng: Rng) -> bool:
        found = []
        for index in range(columns):
            if index % 5 == 4:
                k = (2, 5, 20, 50)[index // 5 % 4]
                p = rng.dirichlet(np.ones(k))
                found.append(categorical_feature(f"c{index}", rng.multinomial(rows, p), rng.multinomial(rows, p)))
            else:
                draw = SHAPES[shapes[index % 4]]
                current = draw(rng, rows) + (1.0 if shifted and index == 0 else 0.0)  # normal sd 2: 0.5 sd
                found.append(numeric_feature(f"x{index}", draw(rng, rows), current))
        return flagged(found, 0) if shifted else dataset_drifted(found)
    return run


def performance_steady(baseline: float, labelled: int) -> Callable[[Rng], bool]:
    spec = PerformanceSpec.model_validate({"task": "classification", "predictionColumn": "p", "targetColumn": "t",
                                           "baseline": {"accuracy": baseline}})

    def run(rng: Rng) -> bool:
        targets = rng.choice(["0", "1"], labelled)
        hit = rng.random(labelled) < baseline
        predicted = np.where(hit, targets, np.where(targets == "1", "0", "1"))
        data = LabelledPredictions(predictions=predicted.astype(object), targets=targets.astype(object))
        return assess_performance(data, spec=spec, now=0).severity == "critical"
    return run


# --------------------------------------------------------------------------- the cases


def repetitions_for(rows: int, quick: bool) -> int:
    table = [(1_001, 2000), (10_000, 800), (100_000, 150), (1_000_000, 15), (10_000_000, 3)]
    reps = next((r for limit, r in table if rows <= limit), 3)
    return max(2, reps // 5) if quick else reps


def cases(quick: bool) -> list[Case]:
    found: list[Case] = []
    sizes = [100, 1_000, 1_001, 10_000, 100_000, 1_000_000] + ([] if quick else [10_000_000])
    for shape in SHAPES:
        for rows in sizes:
            if rows >= 10_000_000 and shape not in ("normal", "cauchy"):
                continue
            found.append(Case("false alarm", f"{shape}, same distribution", rows, repetitions_for(rows, quick),
                              numeric_null(shape, rows, fixed_reference=rows >= 1_000_000)))
    for categories, rows in [(2, 100), (2, 10_000), (10, 1_001), (50, 1_001), (50, 2_000), (200, 5_000),
                             (500, 10_000), (1_000, 1_001), (1_000, 10_000), (1_000, 100_000)]:
        found.append(Case("false alarm", f"{categories} categories, same distribution", rows,
                          repetitions_for(rows, quick), categorical_null(categories, rows)))
    for columns, rows, reps in [(1, 1_000, 2000), (2, 1_000, 1000), (20, 1_000, 150), (100, 1_000, 40),
                                (500, 1_000, 8), (100, 10_000, 8)]:
        found.append(Case("false alarm", f"table of {columns} features, same distribution", rows,
                          max(2, reps // 5) if quick else reps, wide_table(columns, rows, shifted=False)))
    for baseline in (0.65, 0.9):
        found.append(Case("performance", f"model steady at accuracy {baseline}, windows 50/100/200", 200,
                          400 if quick else 2000, performance_steady(baseline, 200)))
    for shape in ("normal", "lognormal", "poisson(3) counts"):
        for rows, shift in [(1_000, 0.5), (1_001, 0.5), (10_000, 0.25), (100_000, 0.25), (1_000_000, 0.25)]:
            found.append(Case("detection", f"{shape}, {shift} sd shift", rows, repetitions_for(rows, quick),
                              numeric_shift(shape, rows, shift, fixed_reference=rows >= 1_000_000)))
    found.append(Case("detection", "normal, 0.5 sd shift in 1 of 20 features", 1_000,
                      25 if quick else 100, wide_table(20, 1_000, shifted=True)))
    for rows in (1_001, 10_000, 100_000):
        found.append(Case("detection", "new category at 5%", rows, repetitions_for(rows, quick), new_category(rows)))
    for rows in (10_000, 100_000):
        for before in (0.5, 0.1):
            found.append(Case("detection", f"category {before:.0%} -> {before + 0.1:.0%}", rows,
                              repetitions_for(rows, quick), frequency_change(rows, before)))
    found.append(Case("practical", "normal, 0.02 sd shift (not worth an alarm)", 1_000_000,
                      repetitions_for(1_000_000, quick), numeric_shift("normal", 1_000_000, 0.02, fixed_reference=True)))
    return found


def interval(hits: int, total: int) -> tuple[float, float]:
    """95 % Clopper-Pearson interval of a binomial proportion."""
    low = 0.0 if hits == 0 else float(scipy_stats.beta.ppf(0.025, hits, total - hits + 1))
    high = 1.0 if hits == total else float(scipy_stats.beta.ppf(0.975, hits + 1, total - hits))
    return low, high


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a fifth of the repetitions, no 10M-row cases, targets read off the intervals")
    parser.add_argument("--seed", type=int, default=20261201)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    print(f"modelmon calibration bench: defaults {'(quick)' if args.quick else ''}, seed {args.seed}")
    header = f"{'kind':<12} {'case':<52} {'rows':>10} {'reps':>5} {'rate':>7} {'95% CI':>15}  {'target':<7} ok"
    print(header)
    print("-" * len(header))
    missed = 0
    for number, case in enumerate(cases(args.quick)):
        rng = np.random.default_rng([args.seed, number])
        hits = sum(bool(case.run(rng)) for _ in range(case.repetitions))
        rate = hits / case.repetitions
        low, high = interval(hits, case.repetitions)
        ok = case.consistent(low, high) if args.quick else case.meets(rate)
        missed += not ok
        print(f"{case.kind:<12} {case.name:<52} {case.rows:>10,} {case.repetitions:>5} {rate:>7.1%} "
              f"{f'{low:.1%}-{high:.1%}':>15}  {case.target:<7} {'ok' if ok else '!!'}", flush=True)
    print(f"\n{missed} case(s) missed their target; {time.perf_counter() - started:.0f} s")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
