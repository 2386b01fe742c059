"""The model hand-over: which values of the target's container carry the model.

Values are keyed ``env:<NAME>`` for an env variable and ``image`` for the image, so that a
comparison or a restore treats both kinds alike.
"""

from __future__ import annotations

from collections.abc import Mapping

from modelmon.api.rollout import Handover

IMAGE = "image"
ENV_PREFIX = "env:"


def calculate_values(handover: Handover, *, model: Mapping[str, str]) -> dict[str, str]:
    """The hand-over values for ``model`` (uri, version, sha256)."""
    if handover.image is not None:
        return {IMAGE: handover.image.format(version=model.get("version", ""), sha256=model.get("sha256", ""))}
    env = handover.env
    assert env is not None  # the spec model guarantees one of the two
    names = {"uri": env.uri, "version": env.version, "sha256": env.sha256}
    return {f"{ENV_PREFIX}{name}": str(model.get(field, "")) for field, name in names.items() if name}


def keys(handover: Handover) -> list[str]:
    return sorted(calculate_values(handover, model={}))


def describe(values: Mapping[str, str]) -> str:
    return ", ".join(f"{key.removeprefix(ENV_PREFIX)}={value}" for key, value in sorted(values.items()))
