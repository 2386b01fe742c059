"""The history of checks: ``records`` (pure: what a check's record holds, which partitions retention
drops) and ``store`` (a folder of day partitions, appended to, read newest first)."""
