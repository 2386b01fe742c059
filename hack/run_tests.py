"""Run every test tier as ``make test`` does: the real-node tier and the rest side by side.

The end-to-end tier (tests/e2e) spends most of its ten minutes waiting -- for pods, for a
canary's pause, for requests through kube-proxy -- while the other tiers mostly compute. Run
one after the other they took CI 19 minutes; side by side the run takes about as long as the
longer of the two. The e2e tier's output goes to a file and is printed whole when it ends, so
the two reports never interleave. Exit status: 0 when both passed, else the first non-zero of
(the other tiers, e2e). Extra arguments go to both pytest runs (e.g. ``-x``, ``-k``).

    python3 hack/run_tests.py [PYTEST_ARGS...]
    MODELMON_SERIAL_TESTS=1 python3 hack/run_tests.py   # one tier after the other
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _pytest(*args: str) -> list[str]:
    # The slowest steps are listed so that a run over CI's time budget says where the time went.
    return [sys.executable, "-m", "pytest", "-q", "--durations=15", *args]


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGINT first: pytest then runs the fixtures' finalizers, which stop the real node."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=120)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _combined(rest_code: int, e2e_code: int, *, selected: bool) -> int:
    if selected:  # a selection (-k) may leave one tier with nothing to run: pytest's exit 5
        rest_code, e2e_code = (0 if code == 5 else code for code in (rest_code, e2e_code))
    return rest_code or e2e_code


def main(argv: list[str]) -> int:
    os.chdir(ROOT)
    e2e = _pytest("-m", "e2e", "tests/e2e", *argv)
    rest = _pytest("-m", "not e2e", *argv)
    if os.environ.get("MODELMON_SERIAL_TESTS"):
        rest_code = subprocess.call(rest)
        e2e_code = subprocess.call(e2e)
        return _combined(rest_code, e2e_code, selected=bool(argv))
    # A CI runner that gives up sends SIGTERM: exit through the finally below, which stops the e2e run.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    started = time.monotonic()
    with tempfile.NamedTemporaryFile(prefix="modelmon-e2e.", suffix=".log") as log:
        print(f"[tests] the e2e tier runs alongside; its report follows the others' ({log.name})", flush=True)
        background = subprocess.Popen(e2e, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            rest_code = subprocess.call(rest)
            e2e_code = background.wait()
        finally:
            _stop(background)
        print(
            f"\n[tests] the e2e tier (exit {e2e_code}, {time.monotonic() - started:.0f} s since the start):", flush=True
        )
        sys.stdout.buffer.write(Path(log.name).read_bytes())
        sys.stdout.flush()
    return _combined(rest_code, e2e_code, selected=bool(argv))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
