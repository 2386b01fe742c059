from modelmon.controller.monitors import backoff_seconds


def test_backoff_doubles_and_is_capped():
    assert [backoff_seconds(r) for r in range(5)] == [2.0, 4.0, 8.0, 16.0, 32.0]
    assert backoff_seconds(50) == 300.0
