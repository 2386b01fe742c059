"""End-to-end tests on a real node (a package, so that the cluster fixture is package-scoped:
it stops before the other tiers run)."""
