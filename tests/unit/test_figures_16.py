"""hack/figures_16.py counts what #16 set out to remove: checked on small sources written here, and on a
throwaway git repository read without a checkout."""

from __future__ import annotations

import subprocess
import textwrap
from pathlib import Path

import figures_16
import pytest

SOURCES = {
    "conditions.py": '''
        import enum
        from typing import Literal

        class Reason(str, enum.Enum):
            """Pending here is a docstring, not a phase literal."""
            READY = "Ready"

        class RetrainingPhase(enum.StrEnum):
            PENDING = "Pending"
            FAILED = "Failed"

        Severity = Literal["ok", "warning", "critical", "unknown"]
        ''',
    "api/rollout.py": """
        from typing import Literal
        Phase = Literal["Progressing", "Paused", "Succeeded", "Failed"]
        AlertSeverity = Literal["info", "warning", "critical"]
        level: Literal["info", "warning", "critical"] = "info"
        """,
    "controller/handlers.py": """
        import asyncio
        import datetime
        import kopf
        from modelmon.api import monitor as api
        from modelmon.controller import monitors

        RESOURCE = (api.GROUP, api.VERSION, api.PLURAL)

        def register(registry):
            controller = monitors.MonitorController()

            @kopf.on.update(*RESOURCE, registry=registry)
            def reconcile_monitor(body, patch, **_):
                controller.reconcile(body, patch)
                patch.status["health"] = "Unknown"

            @kopf.on.event(api.GROUP, api.VERSION, "retrainingjobs", registry=registry)
            async def observe_job(body, **_):
                await asyncio.to_thread(monitors.restore, body)
                if body["status"].get("phase") == "Failed":
                    return

            @kopf.on.startup(registry=registry)
            def configure(settings, **_):
                settings.x = datetime.date.today().isoformat()

        def _temporary(error):
            return error.status >= 500
        """,
    "controller/monitors.py": """
        import collections
        import threading
        from modelmon.api import retraining as retraining_api

        class MonitorController:
            def __init__(self):
                self._locks: dict[tuple[str, str], threading.Lock] = collections.defaultdict(threading.Lock)

            def reconcile(self, body, patch):
                one = 1
                return one

        def restore(body):
            client.patch_namespaced_custom_object_status("g", "v", "ns", retraining_api.PLURAL, "n", {})

        def reconcile(body):
            pass
        """,
    "k8s/objects.py": """
        import datetime

        def get_monitor(namespace, name):
            return None

        def stamp(moment):
            return moment.isoformat(timespec="seconds")

        def later(moment):
            text = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
            return text + moment.strftime("%Y-%m-%dT%H:%M:%SZ")

        def day(moment):
            return moment.strftime("%Y%m%d")

        def is_transient(error):
            return body.get("spec")["replicas"]
        """,
}


@pytest.fixture(scope="module")
def figures():
    return figures_16.measure({path: textwrap.dedent(text) for path, text in SOURCES.items()})


def names(sites):
    return sorted(f"{site.path}:{site.what}" for site in sites)


def test_vocabulary_definitions(figures):
    assert names(figures.reasons) == ["conditions.py:Reason"]
    assert names(figures.severities) == ["api/rollout.py:AlertSeverity", "conditions.py:Severity"]
    # the alert severities are written twice (an alias and an inline Literal), the performance ones once
    assert figures.severity_sets == {("critical", "info", "warning"): 2, ("critical", "ok", "unknown", "warning"): 1}
    assert names(figures.phase_definitions) == [
        "api/rollout.py:Literal[Progressing, Paused, Succeeded, Failed]",
        "conditions.py:class RetrainingPhase",
    ]


def test_phase_words_outside_their_definitions_and_docstrings(figures):
    assert names(figures.phase_literals) == ["controller/handlers.py:'Failed'"]


def test_duplicated_helpers(figures):
    # a date's isoformat is no timestamp, nor a format without a time; one function counts once
    assert names(figures.formatters) == ["k8s/objects.py:later", "k8s/objects.py:stamp"]
    assert names(figures.temporary) == ["controller/handlers.py:_temporary", "k8s/objects.py:is_transient"]
    assert names(figures.get_monitor) == ["k8s/objects.py:get_monitor"]
    assert names(figures.lock_maps) == ["controller/monitors.py:self._locks"]


def test_status_writers_by_kind(figures):
    assert {kind: names(sites) for kind, sites in figures.status_writers.items()} == {
        "ModelMonitor": ["controller/handlers.py:reconcile_monitor"],  # kopf's patch, the handler's kind
        "RetrainingJob": ["controller/monitors.py:restore"],  # the plural passed
    }


def test_handlers_and_the_controller_functions_they_call(figures):
    found = {h.site.what: (h.kind, h.lines, [f"{s.what} {n}" for s, n in h.calls]) for h in figures.handlers}
    assert found == {
        # controller.reconcile is the method of the class the variable was built from, not monitors.reconcile
        "reconcile_monitor": ("ModelMonitor", 3, ["reconcile 3"]),
        # a function handed to a thread is called by the handler all the same
        "observe_job": ("RetrainingJob", 4, ["restore 2"]),
        "configure": ("the operator (on.startup)", 2, []),
    }


def test_string_keyed_reads_per_directory(figures):
    # patch.status["health"] and body["status"].get("phase") in controller/, .get("spec")["replicas"] in k8s/
    assert figures.reads == {"rollout": 0, "policies": 0, "controller": 3, "k8s": 2}
    assert figures.read_lines == {"rollout": 0, "policies": 0, "controller": 29 + 18, "k8s": 18}


def test_render_names_every_figure(figures):
    table = figures_16.render(figures, title="synthetic")
    assert "Reason vocabularies (named *Reason)              1 (1 named Reason)" in table
    assert "Status writers of RetrainingJob (functions)      1" in table
    assert "String-keyed reads rollout/ 0, policies/ 0, controller/ 3, k8s/ 2 (total 5)" in table
    assert "Handlers: 3, lines median 3, max 4, total 9" in table


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout


def test_a_commit_is_read_without_a_checkout(tmp_path: Path):
    repo = tmp_path / "repo"
    package = repo / "operator" / "modelmon"
    (package / "k8s").mkdir(parents=True)
    (repo / "tests" / "modelmon").mkdir(parents=True)
    (package / "__init__.py").write_text('"""Ünïcode in a docstring: sizes are bytes, not characters."""\n')
    (package / "k8s" / "objects.py").write_text(textwrap.dedent(SOURCES["k8s/objects.py"]))
    (repo / "tests" / "modelmon" / "__init__.py").write_text("")
    (repo / "README.md").write_text("not Python\n")
    git(repo.parent, "init", "-q", str(repo))
    git(repo, "add", ".")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-q", "-m", "one")
    (package / "k8s" / "objects.py").unlink()  # the working tree is not what is read
    sources = figures_16.package_sources("HEAD", repo=repo)
    assert sorted(sources) == ["__init__.py", "k8s/objects.py"]
    assert sources["__init__.py"].startswith('"""Ünïcode')
    assert names(figures_16.measure(sources).get_monitor) == ["k8s/objects.py:get_monitor"]
