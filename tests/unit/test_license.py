"""The project's license is stated once and agrees everywhere: the LICENSE file (the Apache License 2.0's
own text, which the wheel's metadata and the image carry), pyproject.toml and the image's label."""

from __future__ import annotations

import hashlib
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_license_file_is_the_apache_license_2_0_and_pyproject_and_the_image_say_so():
    text = (ROOT / "LICENSE").read_text()
    assert text.split()[:4] == ["Apache", "License", "Version", "2.0,"]
    assert "TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION" in text and "END OF TERMS AND CONDITIONS" in text
    # The text as published (Debian's /usr/share/common-licenses/Apache-2.0), not an edited copy.
    assert hashlib.sha256(text.encode()).hexdigest() == "cfc7749b96f63bd31c3c42b5c471bf756814053e847c10f3eb003417bc523d30"
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == {"text": "Apache-2.0"}
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert 'org.opencontainers.image.licenses="Apache-2.0"' in dockerfile
    assert "LICENSE" in next(line for line in dockerfile.splitlines() if line.startswith("COPY pyproject.toml"))
