"""Kits for the demo and the tests, apart from the product (``modelmon``).

``emulation``: a Kubernetes API in-process (kmock's emulator with the API-server semantics
this operator depends on) and a runner for the real operator against any cluster.
``demo``: ``modelmon demo``, the whole loop on the emulated API.

Product code never imports this package (an import-linter contract in pyproject.toml), and
the operator's image does not contain it.
"""
