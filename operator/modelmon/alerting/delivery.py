"""The operator's notification dispatcher: ``submit`` never blocks, sinks never block each other.

kopf runs our sync handlers in worker threads; a handler calls :meth:`Dispatcher.submit` with
the monitor's body and the notifications of one alert-planning step, and returns at once.
Delivery happens on the dispatcher's own daemon thread running an asyncio loop, with one queue
and one worker task per (namespace, monitor, sink), so a sink that is down or slow only delays
its own messages:

- in order per sink (a resolution never overtakes the firing it ends);
- retried with exponential backoff and jitter (``retries.RetryPolicy``) until the message is
  older than ``max_age`` (a sink that comes back within it receives everything, in order);
- a request refused as malformed (HTTP 400/413/422, an SMTP 5xx on the message) is given up at
  once: the same body cannot succeed;
- at most ``maxNotificationsPerHour`` messages per sink when the sink sets it (more wait);
- at most ``queue_limit`` messages waiting per sink: the oldest is dropped, counted and logged;
- Secrets are read at every attempt (a fixed Secret takes effect on the next retry) and every
  error text is redacted before it is logged, kept in ``sink_state`` or handed to ``on_result``.
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import dataclasses
import logging
import random
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import aiohttp
import pydantic

from modelmon.alerting import retries, sinks
from modelmon.alerting.batches import DEFAULT_LINK, Batch, build_batch, for_severity
from modelmon.alerting.payloads import stamp
from modelmon.alerting.redaction import Redactor, shorten
from modelmon.api.alerts import AlertsSpec, SinkSpec
from modelmon.metrics import OperatorMetrics
from modelmon.policies.alerts import Notification

log = logging.getLogger(__name__)

SinkKey = tuple[str, str, str]
"""(namespace, monitor, sink name)."""
OnResult = Callable[[str, str, list[dict[str, Any]]], None]
"""``on_result(namespace, monitor, sink_state)`` after every attempt, e.g. to patch ``status.alertSinks``."""


@dataclasses.dataclass
class _Message:
    batch: Batch
    spec: SinkSpec
    secret_namespace: str
    """Where the sink's Secrets are: the monitor's namespace, or the operator's for its default sinks."""
    attempts: int = 0


@dataclasses.dataclass
class _Sink:
    key: SinkKey
    type: str
    messages: collections.deque[_Message] = dataclasses.field(default_factory=collections.deque)
    sent_times: collections.deque[float] = dataclasses.field(default_factory=lambda: collections.deque(maxlen=3600))
    last_success: float | None = None
    last_error: str | None = None
    last_error_time: float | None = None
    failures: int = 0
    """Consecutive failed attempts."""
    dropped: int = 0
    in_flight: _Message | None = None
    """The head message while an attempt to send it runs (never dropped: its result is pending)."""
    wake: asyncio.Event = dataclasses.field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None

    def state(self) -> dict[str, Any]:
        entry = {"name": self.key[2], "type": self.type, "lastSuccess": stamp(self.last_success),
                 "lastError": self.last_error, "lastErrorTime": stamp(self.last_error_time),
                 "pending": len(self.messages), "consecutiveFailures": self.failures, "dropped": self.dropped}
        return {k: v for k, v in entry.items() if v is not None}


class Dispatcher:
    """Asynchronous, per-sink delivery of alert notifications; see the module docstring.

    ``read_secret(namespace, name, key) -> str`` is called in a worker thread at each attempt
    (``modelmon.k8s.secrets.read_secret`` reads the Kubernetes API). ``link_template`` is
    formatted with ``namespace`` and ``monitor`` into the link each message carries (a console or
    dashboard URL; the monitor's API path by default).
    """

    def __init__(self, *, read_secret: sinks.ReadSecret, metrics: OperatorMetrics | None = None,
                 retry: retries.RetryPolicy = retries.DEFAULT, queue_limit: int = 100, timeout: float = 10.0,
                 link_template: str = DEFAULT_LINK, on_result: OnResult | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self._read_secret = read_secret
        self.metrics = metrics or OperatorMetrics()
        self._retry = retry
        self._queue_limit = queue_limit
        self._timeout = timeout
        self._link_template = link_template
        self._on_result = on_result
        self._clock = clock
        self._random = random.Random()
        self._sinks: dict[SinkKey, _Sink] = {}
        self._lock = threading.Lock()
        self._closed = False
        self._stopping = False
        self._reported: dict[tuple[str, str], list[dict[str, Any]]] = {}
        """What on_result last received per monitor (touched only by the single reporting thread)."""
        self._results = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="modelmon-sink-status")
        self._loop = asyncio.new_event_loop()
        self._session: aiohttp.ClientSession | None = None
        ready = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(ready,), name="modelmon-alert-delivery", daemon=True)
        self._thread.start()
        ready.wait()

    # --- called from any thread ---------------------------------------------------------------------------------

    def submit(self, *, body: dict[str, Any], notifications: Sequence[Notification],
               sinks: Sequence[SinkSpec] | None = None, secret_namespace: str | None = None) -> None:
        """Queue one grouped message per sink for these notifications; returns at once.

        ``sinks`` defaults to the monitor's ``spec.alerts.sinks`` (pass the operator-wide defaults
        merged in, if any). Each sink receives the notifications at or above its minSeverity.
        ``secret_namespace`` is where the sinks' Secrets are read: the monitor's namespace by
        default; the operator's own for its default sinks.
        """
        if not notifications:
            return
        meta = body.get("metadata") or {}
        where = f"{meta.get('namespace')}/{meta.get('name')}"
        if self._closed:
            log.warning("alert dispatcher closed: %d notification(s) of %s not sent", len(notifications), where)
            return
        if sinks is None:
            try:
                sinks = AlertsSpec.model_validate((body.get("spec") or {}).get("alerts") or {}).sinks
            except pydantic.ValidationError as error:
                # Reported as InvalidSpec by the reconciliation; only counted here (errors may quote inputs).
                log.error("spec.alerts of %s is invalid (%d error(s)); notifications not sent", where,
                          error.error_count())
                return
        batch = build_batch(batch_id=str(uuid.uuid4()), body=body, notifications=notifications, now=self._clock(),
                            link_template=self._link_template)
        self._loop.call_soon_threadsafe(self._prune, batch.namespace, batch.monitor, frozenset(s.name for s in sinks))
        for spec in sinks:
            seen = for_severity(batch, spec.min_severity)
            if seen is not None:
                self._loop.call_soon_threadsafe(self._enqueue, spec, seen, secret_namespace or batch.namespace)

    __call__ = submit

    def sink_state(self, namespace: str, monitor: str) -> list[dict[str, Any]]:
        """Per-sink delivery state of a monitor, sorted by sink name: name, type, lastSuccess, lastError
        (redacted), lastErrorTime, pending, consecutiveFailures, dropped (absent keys: never happened)."""
        with self._lock:
            return [s.state() for k, s in sorted(self._sinks.items()) if k[:2] == (namespace, monitor)]

    def forget(self, namespace: str, monitor: str) -> None:
        """Stop delivering for a deleted monitor and drop its metrics series."""
        asyncio.run_coroutine_threadsafe(self._prune_soon(namespace, monitor, frozenset(), deleted=True),
                                         self._loop).result()

    def prune(self, namespace: str, monitor: str, *, keep: Iterable[str]) -> None:
        """Stop delivering to a monitor's sinks not named in ``keep`` (removed from its spec), discarding
        their queues and metrics series. ``submit`` does this by itself with the sinks it is given."""
        names = frozenset(keep)
        asyncio.run_coroutine_threadsafe(self._prune_soon(namespace, monitor, names), self._loop).result()

    def flush(self, timeout: float) -> bool:
        """Wait until every queue is empty (True) or ``timeout`` passes (False)."""
        future = asyncio.run_coroutine_threadsafe(self._drain(time.monotonic() + timeout), self._loop)
        return future.result()

    def close(self, timeout: float = 10.0) -> None:
        """Refuse new notifications, deliver what is queued for up to ``timeout`` seconds, then stop."""
        if self._closed:
            return
        self._closed = True
        try:
            self.flush(timeout)
        finally:
            self._stopping = True
            asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result()
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=5)
            self._results.shutdown(wait=True)

    # --- the delivery thread ------------------------------------------------------------------------------------

    def _run(self, ready: threading.Event) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.call_soon(ready.set)
        self._loop.run_forever()
        self._loop.close()

    def _enqueue(self, spec: SinkSpec, batch: Batch, secret_namespace: str) -> None:
        key = (batch.namespace, batch.monitor, spec.name)
        with self._lock:
            sink = self._sinks.get(key)
            if sink is not None and sink.type != spec.type:
                # The sink was redefined under its name: what was queued for the old kind is moot.
                if sink.task is not None:
                    sink.task.cancel()
                sink = None
            if sink is None:
                sink = self._sinks[key] = _Sink(key=key, type=spec.type)
            dropped = 0
            while len(sink.messages) >= max(1, self._queue_limit):
                if sink.messages[0] is sink.in_flight and len(sink.messages) > 1:
                    del sink.messages[1]
                elif sink.messages[0] is sink.in_flight:
                    break
                else:
                    sink.messages.popleft()
                sink.dropped += 1
                dropped += 1
            sink.messages.append(_Message(batch=batch, spec=spec, secret_namespace=secret_namespace))
        if dropped:
            log.warning("alert sink %s of %s/%s: queue full (%d), dropped the oldest message", spec.name, key[0],
                        key[1], self._queue_limit)
        self._record(sink, failed={"dropped": dropped} if dropped else None)
        sink.wake.set()
        if sink.task is None or sink.task.done():
            sink.task = self._loop.create_task(self._work(sink), name=f"alert-sink {'/'.join(key)}")
            sink.task.add_done_callback(_worker_ended)

    async def _work(self, sink: _Sink) -> None:
        while True:
            if not sink.messages:
                sink.wake.clear()
                await sink.wake.wait()
                continue
            now = self._clock()
            if self._expire(sink, now):
                continue
            message = sink.messages[0]
            wait = retries.rate_wait(sink.sent_times, limit=message.spec.max_notifications_per_hour, now=now)
            if wait > 0:
                await asyncio.sleep(wait)
                continue
            delay = await self._attempt(sink, message, now)
            if delay is not None:
                await asyncio.sleep(delay)

    async def _attempt(self, sink: _Sink, message: _Message, now: float) -> float | None:
        """One delivery attempt; the delay before the next one after a retryable failure, else None."""
        redactor = Redactor()
        secrets = sinks.Secrets(read_secret=self._read_secret, namespace=message.secret_namespace, redactor=redactor)
        message.attempts += 1
        sink.in_flight = message
        try:
            if self._session is None:
                # trust_env: HTTPS_PROXY/HTTP_PROXY/NO_PROXY, as the operator's other HTTP clients honour them.
                self._session = aiohttp.ClientSession(trust_env=True)
            await sinks.send(message.spec, message.batch, secrets=secrets, session=self._session,
                             timeout=self._timeout, now=now)
        except sinks.DeliveryError as error:
            # Redacted whole, then shortened (sinks.send did so already; again here costs nothing).
            text, retryable, retry_after = shorten(redactor.redact(str(error))), error.retryable, error.retry_after
        except Exception as error:  # noqa: BLE001 - a bug in one sink must not stop its worker
            text, retryable, retry_after = shorten(redactor.redact(f"{type(error).__name__}: {error}")), True, None
        else:
            with self._lock:
                sink.in_flight = None
                sink.messages.remove(message)
                sink.last_success, sink.failures = self._clock(), 0
                sink.sent_times.append(sink.last_success)
            log.info("alert sink %s of %s/%s: delivered notification %s (%s)", sink.key[2], sink.key[0],
                     sink.key[1], message.batch.id, message.batch.summary())
            self._record(sink, sent=1)
            return None
        with self._lock:
            sink.in_flight = None
            sink.last_error, sink.last_error_time = text, self._clock()
            sink.failures += 1
        if not retryable:
            self._give_up(sink, message, "rejected", text, attempt_failed=True)
            return None
        delay = retries.retry_delay(sink.failures, self._retry, rand=self._random.random())
        if retry_after is not None:
            delay = max(delay, min(retry_after, self._retry.cap))
        log.warning("alert sink %s of %s/%s (%s): attempt %d failed, retrying in %.1fs: %s", sink.key[2],
                    sink.key[0], sink.key[1], sink.type, message.attempts, delay, text)
        self._record(sink, failed={"error": 1})
        return delay

    def _expire(self, sink: _Sink, now: float) -> int:
        """Give up the messages older than the maximum age (all at the head: the queue is in submission order)."""
        with self._lock:
            expired = 0
            while sink.messages and now - sink.messages[0].batch.created > self._retry.max_age:
                sink.messages.popleft()
                expired += 1
        if expired:
            # One line for many: a sink down for hours would otherwise log every message it missed.
            log.error("alert sink %s of %s/%s (%s): gave up %d notification(s) undelivered for over %gs (last "
                      "error: %s)", sink.key[2], sink.key[0], sink.key[1], sink.type, expired, self._retry.max_age,
                      sink.last_error or "none")
            self._record(sink, failed={"expired": expired})
        return expired

    def _give_up(self, sink: _Sink, message: _Message, reason: str, why: str, *, attempt_failed: bool = False) -> None:
        with self._lock:
            if sink.messages and sink.messages[0] is message:
                sink.messages.popleft()
        log.error("alert sink %s of %s/%s (%s): gave up notification %s (%s) after %d attempt(s): %s", sink.key[2],
                  sink.key[0], sink.key[1], sink.type, message.batch.id, reason, message.attempts, why)
        failed = {reason: 1, **({"error": 1} if attempt_failed else {})}
        self._record(sink, failed=failed)

    def _record(self, sink: _Sink, *, sent: int = 0, failed: dict[str, int] | None = None) -> None:
        namespace, monitor, name = sink.key
        self.metrics.record_delivery(namespace=namespace, monitor=monitor, sink=name, sink_type=sink.type,
                                     pending=len(sink.messages), sent=sent, failed=failed)
        if self._on_result is not None and not self._stopping:
            self._results.submit(self._report, namespace, monitor)

    def _report(self, namespace: str, monitor: str) -> None:
        assert self._on_result is not None
        state = self.sink_state(namespace, monitor)
        if self._reported.get((namespace, monitor)) == state:
            return  # e.g. a message queued and sent at once: its status write would repeat the last one
        try:
            self._on_result(namespace, monitor, state)
            self._reported[(namespace, monitor)] = state
        except Exception:
            log.exception("on_result for %s/%s failed", namespace, monitor)

    async def _drain(self, deadline: float) -> bool:
        while time.monotonic() < deadline:
            with self._lock:
                if not any(s.messages for s in self._sinks.values()):
                    return True
            await asyncio.sleep(0.05)
        return False

    async def _prune_soon(self, namespace: str, monitor: str, keep: frozenset[str], *, deleted: bool = False) -> None:
        self._prune(namespace, monitor, keep, deleted=deleted)

    def _prune(self, namespace: str, monitor: str, keep: frozenset[str], *, deleted: bool = False) -> None:
        with self._lock:
            gone = [k for k in self._sinks if k[:2] == (namespace, monitor) and k[2] not in keep]
            stopped = [self._sinks.pop(k) for k in gone]
        for sink in stopped:
            if sink.task is not None:
                sink.task.cancel()
            if sink.messages:
                log.warning("alert sink %s of %s/%s was removed: %d undelivered notification(s) discarded",
                            sink.key[2], namespace, monitor, len(sink.messages))
            self.metrics.forget_sinks(namespace=namespace, monitor=monitor, sink=sink.key[2])
        if self._stopping:
            return
        if deleted:
            # A deleted monitor has no status to write: only forget what was last written.
            self._results.submit(self._reported.pop, (namespace, monitor), None)
        elif stopped and self._on_result is not None:
            self._results.submit(self._report, namespace, monitor)

    async def _shutdown(self) -> None:
        with self._lock:
            sinks_now = list(self._sinks.values())
        for sink in sinks_now:
            if sink.task is not None:
                sink.task.cancel()
            if sink.messages:
                log.warning("alert sink %s of %s/%s: %d notification(s) undelivered at shutdown", sink.key[2],
                            sink.key[0], sink.key[1], len(sink.messages))
                self.metrics.record_delivery(namespace=sink.key[0], monitor=sink.key[1], sink=sink.key[2],
                                             sink_type=sink.type, pending=0, failed={"closed": len(sink.messages)})
        await asyncio.gather(*(s.task for s in sinks_now if s.task is not None), return_exceptions=True)
        if self._session is not None:
            await self._session.close()


def _worker_ended(task: asyncio.Task[None]) -> None:
    # Workers run until cancelled; one that died is restarted by the next message for its sink.
    if not task.cancelled() and task.exception() is not None:
        log.error("%s stopped: %s", task.get_name(), type(task.exception()).__name__)
