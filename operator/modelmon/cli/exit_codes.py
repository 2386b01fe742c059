"""The exit codes of ``modelmon`` and ``kubectl modelmon``, one per kind of outcome, so a script can
tell "not there" from "not allowed" from "the cluster is down" without parsing the message.

docs/cli.md has the same table; a test keeps the two in agreement.
"""

from __future__ import annotations

OK = 0
NOT_FOUND = 1
"""The named object (or the kind itself: CRDs not installed) does not exist."""
USAGE = 2
"""A flag or argument is wrong (argparse's own code), or an input file cannot be used."""
DRIFT = 3
"""``modelmon check``: the verdict is critical drift."""
ROLLOUT_FAILED = 4
"""``rollout status``: the rollout ended RolledBack or Failed."""
REFUSED = 5
"""The object is in a phase where the action does nothing (promote a finished rollout, ack an unknown alert)."""
NO_CLUSTER = 6
"""No kubeconfig (or the --context is not in it) and not inside a pod."""
UNREACHABLE = 7
"""The API server did not accept a connection (refused, DNS, TLS)."""
FORBIDDEN = 8
"""The API server refused the credentials (401) or the RBAC rules do not allow the verb (403)."""
TIMEOUT = 9
"""No answer within --timeout."""
API_ERROR = 10
"""Any other error the API server answered with (409, 422, 5xx)."""

TABLE: dict[int, str] = {
    OK: "success",
    NOT_FOUND: "the object, or its kind (CRDs not installed), does not exist",
    USAGE: "wrong flags or arguments",
    DRIFT: "modelmon check: critical drift",
    ROLLOUT_FAILED: "rollout status: the rollout ended RolledBack or Failed",
    REFUSED: "the action does nothing in the object's current phase; nothing was changed",
    NO_CLUSTER: "no kubeconfig (or no such --context) and not inside a pod",
    UNREACHABLE: "the API server cannot be reached (connection refused, DNS, TLS)",
    FORBIDDEN: "authentication failed (401) or RBAC forbids the request (403)",
    TIMEOUT: "the API server did not answer within --timeout",
    API_ERROR: "any other error answered by the API server (409, 422, 5xx)",
}
