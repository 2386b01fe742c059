"""Helpers shared by the test tiers (one copy each): polling, free ports, CRD installation,
and the ModelMonitor calls the control-plane tests make. Fixtures live in the conftest.py
files (tests/conftest.py for the control plane); these are plain functions."""
