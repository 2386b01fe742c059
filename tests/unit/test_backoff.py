from modelmon.controller.monitors import backoff_seconds


def test_backoff_doubles_and_is_capped():
    assert [backoff_seconds(r) for r in range(5)] == [2.0, 4.0, 8.0, 16.0, 32.0]
    assert backoff_seconds(50) == 300.0


def test_a_silent_api_server_is_retried_within_one_poll():
    """A rollout's timer resumed 41 s after the API server came back: a refused connection was no
    TemporaryError, so kopf waited its one-minute backoff. Now it is retried, never later than a poll."""
    import kopf
    import kubernetes
    import urllib3

    from modelmon.controller.retraining import retry_later

    refused = urllib3.exceptions.MaxRetryError(None, "/apis", reason=ConnectionRefusedError(111, "refused"))
    delays = [retry_later(refused, retry=r, cap=15.0, what="rollout").delay for r in range(8)]
    assert delays == [1.0, 2.0, 4.0, 8.0, 15.0, 15.0, 15.0, 15.0]
    assert isinstance(retry_later(ConnectionResetError(), retry=0, cap=2.0, what="x"), kopf.TemporaryError)
    unavailable = kubernetes.client.ApiException(status=503, reason="Service Unavailable")
    assert retry_later(unavailable, retry=30, cap=2.0, what="x").delay == 2.0
    changed = kubernetes.client.ApiException(status=422, reason="Unprocessable Entity")
    assert retry_later(changed, retry=0, cap=5.0, what="x") is None
    assert retry_later(changed, retry=0, cap=5.0, what="x", also=(422,)) is not None
    assert retry_later(kubernetes.client.ApiException(status=403, reason="Forbidden"), retry=0, cap=5.0, what="x") is None
    assert retry_later(ValueError("a bug"), retry=0, cap=5.0, what="x") is None
