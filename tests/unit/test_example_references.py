"""The examples are consistent with each other (#17): every object an example refers to by name (a monitor,
a Deployment, a Service, a ConfigMap, a volume claim, a Secret) is defined by some example, of the right kind.

A person applies examples/ directory by directory into one namespace; a reference to an object no
example defines (as examples/rollout/canary.yaml once analysed a monitor `credit-default-canary`)
leaves them with a rollout that can never pass its analysis.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = [
    (path.relative_to(ROOT), doc)
    for path in sorted((ROOT / "examples").rglob("*.yaml"))
    for doc in yaml.safe_load_all(path.read_text())
    if doc
]
DEFINED = {(doc["kind"], doc["metadata"]["name"]) for _, doc in DOCUMENTS}

#: key -> (kind referred to, field holding the name); a string value is the name itself.
NAMED_BY = {
    "monitorRef": ("ModelMonitor", "name"),
    "modelMonitor": ("ModelMonitor", "name"),
    "deploymentRef": ("Deployment", "name"),
    "targetRef": ("Deployment", "name"),
    "activeService": ("Service", None),
    "previewService": ("Service", None),
    "configMapKeyRef": ("ConfigMap", "name"),
    "configMap": ("ConfigMap", "name"),
    "persistentVolumeClaim": ("PersistentVolumeClaim", "claimName"),
    "volumeClaim": ("PersistentVolumeClaim", None),
    "secretKeyRef": ("Secret", "name"),
    "secret": ("Secret", "secretName"),
}


def references(node: Any, where: str = "") -> Iterator[tuple[str, str, str]]:
    """(kind, name, path) of every reference by name in a document."""
    if isinstance(node, dict):
        for key, value in node.items():
            path = f"{where}.{key}" if where else key
            if key in NAMED_BY:
                kind, field = NAMED_BY[key]
                name = value if field is None else (value or {}).get(field) if isinstance(value, dict) else None
                if isinstance(name, str):
                    yield kind, name, path
            yield from references(value, path)
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from references(item, f"{where}[{index}]")


REFERENCES = [(str(path), kind, name, where) for path, doc in DOCUMENTS for kind, name, where in references(doc)]


def test_the_walk_finds_references_of_every_kind():
    assert {kind for _, kind, _, _ in REFERENCES} >= {
        "ModelMonitor",
        "Deployment",
        "Service",
        "ConfigMap",
        "PersistentVolumeClaim",
    }


@pytest.mark.parametrize(("path", "kind", "name", "where"), REFERENCES, ids=[f"{p}:{w}" for p, _, _, w in REFERENCES])
def test_every_reference_resolves_to_an_example(path, kind, name, where):
    assert (kind, name) in DEFINED, f"{path}: {where} names {kind} {name}, which no example in examples/ defines"
