"""The shipped performance example: its data is what its generator makes, and
``modelmon check --config`` on it gives the verdicts the example promises."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pyarrow.csv as pa_csv
import pytest

from modelmon import cli

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "performance"


def generator():
    spec = importlib.util.spec_from_file_location("performance_example", EXAMPLE / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_committed_data_is_the_generators(tmp_path):
    make = generator()
    for name, table in (("predictions-decayed.csv", make.predictions(make.DECAYED, seed=11)),
                        ("predictions-steady.csv", make.predictions(make.STEADY, seed=12)),
                        ("ground-truth.csv", make.ground_truth())):
        pa_csv.write_csv(table, tmp_path / name)
        assert (tmp_path / name).read_bytes() == (EXAMPLE / name).read_bytes(), name


@pytest.mark.parametrize("current,code,verdict", [
    ("predictions-decayed.csv", 3,
     "performance: CRITICAL: accuracy 52.0% vs 65.0% baseline over the last 50 predictions, p=0.027: retrain"),
    ("predictions-steady.csv", 0, "performance: OK: no action"),
])
def test_check_config_from_anywhere(current, code, verdict, capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # the config's relative ground-truth URI is read next to the config
    got = cli.main(["check", "--reference", str(EXAMPLE / "reference.csv"), "--current", str(EXAMPLE / current),
                    "--config", str(EXAMPLE / "check-config.yml")])
    out = capsys.readouterr().out
    assert got == code and verdict in out and "verdict: no drift" in out
