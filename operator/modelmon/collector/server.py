"""The collector's HTTP edge and its flusher (aiohttp, which kopf already brings).

``POST /`` (any path) takes one CloudEvent. The answer says what the sender should do:

- 200: the event is held and will be written (KServe's logger treats anything but 200 as a failure);
- 400: the event is malformed; the body is one line saying why (counted by reason), resending cannot help;
- 413: the body is larger than ``max_event_bytes``;
- 503 with ``Retry-After``: not taken now, resend later: the buffer is full, the store is down (the last
  write failed; the rows already taken are kept and retried), or the collector is shutting down.

The flusher writes what is ready when ``flush_rows`` rows are, or ``flush_interval_seconds`` after the
oldest became ready, settling unpaired events after ``pair_timeout_seconds`` (see ``pairing``). On
SIGTERM (or SIGINT) the collector stops taking events, finishes the requests in flight, writes
everything it acknowledged (unanswered requests with null predictions) and exits 0; if the store stays
down for ``shutdown_seconds`` it exits 1 saying how many events it could not write.

With ``wal_dir`` every event is recorded in a write-ahead log before its 200 (see ``wal``), and a
collector started on the same directory first writes what a killed predecessor acknowledged.

``GET /healthz``: the process serves. ``GET /readyz``: 503 while the store is down or during shutdown.
``GET /metrics``: Prometheus.
"""

from __future__ import annotations

import asyncio
import collections
import datetime
import logging
import signal
import socket
import time
from collections.abc import Callable
from pathlib import Path

from aiohttp import web

from modelmon.collector import capture, events, layout, pairing
from modelmon.collector.metrics import CollectorMetrics
from modelmon.collector.settings import CollectorSettings
from modelmon.collector.stores import Store, StoreError
from modelmon.collector.wal import WriteAheadLog

logger = logging.getLogger("modelmon.collector")

RETRY_AFTER_SECONDS = "1"
_MAX_BACKOFF = 30.0


def utc_now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


class Collector:
    def __init__(
        self,
        *,
        settings: CollectorSettings,
        store: Store,
        metrics: CollectorMetrics,
        clock: Callable[[], datetime.datetime] = utc_now,
        wal: WriteAheadLog | None = None,
    ) -> None:
        self.settings = settings
        self.wal = wal
        self.store = store
        self.metrics = metrics
        self.clock = clock
        self.writer = settings.writer or socket.gethostname()
        self.buffer = pairing.PairingBuffer(
            capacity=settings.max_buffered_events,
            pair_timeout=datetime.timedelta(seconds=settings.pair_timeout_seconds),
            capacity_bytes=settings.max_buffered_bytes,
        )
        self.store_error: str | None = None
        self.stopping = False
        self._wake = asyncio.Event()
        self._writing = asyncio.Lock()
        self._counted = {"request": 0, "response": 0}

    # --- the edge -------------------------------------------------------------------------------
    async def receive(self, request: web.Request) -> web.Response:
        label = _type_label(request.headers.get("ce-type"))
        if self.stopping:
            return self._retry_later(label, "shutting_down", "the collector is shutting down: resend the event")
        if self.store_error:
            return self._retry_later(label, "store_down", f"the store is down ({self.store_error}): resend later")
        if self.buffer.events >= self.buffer.capacity:
            return self._retry_later(label, "buffer_full", "the collector's buffer is full: resend later")
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return self._malformed(
                label,
                events.EventError(
                    events.Refusal.TOO_LARGE, f"the event is larger than {self.settings.max_event_bytes} bytes"
                ),
                413,
            )
        now = self.clock()
        try:
            event = events.parse_http(request.headers, body, received=now)
        except events.EventError as error:
            return self._malformed(label, error, 400)
        label = event.kind.value
        mark = 0
        if self.wal is not None:
            try:
                mark = self.wal.append(event)
            except OSError as error:
                return self._retry_later(label, "store_down", f"the write-ahead log cannot be written: {error}")
        try:
            self.buffer.add(event, now=now, mark=mark)
        except (events.EventError, pairing.BufferFull) as error:
            if self.wal is not None:
                self.wal.release(collections.Counter({mark: 1}))
            if isinstance(error, events.EventError):
                return self._malformed(label, error, 400)
            return self._retry_later(label, "buffer_full", "the collector's buffer is full: resend later")
        self.metrics.events.labels(label, "accepted").inc()
        self.metrics.buffered.set(self.buffer.events)
        if self.buffer.ready_rows >= self.settings.flush_rows:
            self._wake.set()
        return web.Response(text="accepted\n")

    def _malformed(self, label: str, error: events.EventError, status: int) -> web.Response:
        self.metrics.events.labels(label, "malformed").inc()
        self.metrics.malformed.labels(error.reason.value).inc()
        return web.Response(status=status, text=f"{error}\n")

    def _retry_later(self, label: str, outcome: str, message: str) -> web.Response:
        self.metrics.events.labels(label, outcome).inc()
        return web.Response(status=503, text=f"{message}\n", headers={"Retry-After": RETRY_AFTER_SECONDS})

    async def healthz(self, _: web.Request) -> web.Response:
        return web.Response(text="ok\n")

    async def readyz(self, _: web.Request) -> web.Response:
        if self.stopping:
            return web.Response(status=503, text="shutting down\n")
        if self.store_error:
            return web.Response(status=503, text=f"store down: {self.store_error}\n")
        return web.Response(text="ready\n")

    async def metrics_page(self, _: web.Request) -> web.Response:
        self.metrics.buffered.set(self.buffer.events)
        return web.Response(body=self.metrics.exposition(), content_type="text/plain", charset="utf-8")

    # --- the flusher ----------------------------------------------------------------------------
    async def run_flusher(self, stop: asyncio.Event) -> None:
        """Flush on size and time until ``stop``; after a failure, retry with backoff (1 s, doubling, 30 s)."""
        settings = self.settings
        tick = min(1.0, settings.flush_interval_seconds / 2, settings.pair_timeout_seconds / 2)
        interval = datetime.timedelta(seconds=settings.flush_interval_seconds)
        backoff, retry_at = 1.0, 0.0
        while not stop.is_set():
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=tick)
            except TimeoutError:
                pass
            self._wake.clear()
            now = self.clock()
            self._settle(now=now, everything=False)
            if time.monotonic() < retry_at:
                continue
            since = self.buffer.ready_since()
            due = self.buffer.ready_rows >= settings.flush_rows or (since is not None and now - since >= interval)
            if due or (self.store_error and since is not None):
                ok = await self.flush()
            elif self.store_error:
                ok = await self.check_store()
            else:
                continue
            if ok:
                backoff, retry_at = 1.0, 0.0
            else:
                retry_at = time.monotonic() + backoff
                backoff = min(backoff * 2, _MAX_BACKOFF)

    def _settle(self, *, now: datetime.datetime, everything: bool) -> None:
        self.buffer.expire(now=now, everything=everything)
        self._release(self.buffer.released)
        for label, total in (("request", self.buffer.unanswered_requests), ("response", self.buffer.dropped_responses)):
            if total > self._counted[label]:
                self.metrics.unpaired.labels(label).inc(total - self._counted[label])
                self._counted[label] = total
        self.metrics.buffered.set(self.buffer.events)

    async def flush(self) -> bool:
        """Write everything ready, one file per model and hour; False if the store refused a file (that
        file and the rest are kept for the next flush; the files written stay written)."""
        async with self._writing:
            if self.wal is not None:
                self.wal.rotate()  # what arrives from now on goes to a new segment; the old ones drain
            batches = self.buffer.take()
            started = time.monotonic()
            for index, batch in enumerate(batches):
                try:
                    await asyncio.to_thread(self._write, batch)
                except StoreError as error:
                    for rest in batches[index:]:
                        self.buffer.restore(rest, now=self.clock())
                    self.metrics.write_failures.inc()
                    self._store_down(str(error))
                    return False
                self.buffer.done(batch)
                self._release(batch.marks)
                self.metrics.rows_written.labels(batch.model.namespace, batch.model.name).inc(len(batch.rows))
                self.metrics.files_written.inc()
            if batches:
                self.metrics.flush_duration.observe(time.monotonic() - started)
            self.metrics.buffered.set(self.buffer.events)
            self._store_up()
            return True

    def _release(self, marks: collections.Counter[int]) -> None:
        if self.wal is not None and marks:
            self.wal.release(marks)
        marks.clear()

    def replay(self) -> int:
        """Take back what a killed predecessor acknowledged (from the write-ahead log); how many events."""
        if self.wal is None:
            return 0
        recovered = self.wal.recover()
        now = self.clock()
        for event in recovered:
            mark = self.wal.append(event)
            try:
                self.buffer.add(event, now=now, mark=mark, replay=True)
            except events.EventError:
                self.wal.release(collections.Counter({mark: 1}))
        self.wal.forget_recovered()
        self.metrics.buffered.set(self.buffer.events)
        return len(recovered)

    def _write(self, batch: pairing.FileBatch) -> None:
        table = capture.build_table(batch.rows, columns=batch.columns)
        name = capture.part_name(now=self.clock(), writer=self.writer)
        self.store.write(f"{layout.model_root(batch.model)}/{batch.partition}", name, table)

    async def check_store(self) -> bool:
        try:
            await asyncio.to_thread(self.store.check)
        except StoreError as error:
            self._store_down(str(error))
            return False
        self._store_up()
        return True

    def _store_down(self, reason: str) -> None:
        if self.store_error != reason:
            logger.error("store down, events refused with 503 until it is back: %s", reason)
        self.store_error = reason
        self.metrics.store_up.set(0)

    def _store_up(self) -> None:
        if self.store_error:
            logger.info("store back: %s", self.store.uri)
        self.store_error = None
        self.metrics.store_up.set(1)

    async def drain(self, *, seconds: float) -> int:
        """At shutdown: write everything held, retrying for ``seconds``; the events left unwritten."""
        self._settle(now=self.clock(), everything=True)
        deadline, backoff = time.monotonic() + seconds, 0.25
        while not await self.flush():
            if time.monotonic() + backoff > deadline:
                return self.buffer.events
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 5.0)
        return self.buffer.events


def _type_label(ce_type: str | None) -> str:
    return {events.REQUEST_TYPE: "request", events.RESPONSE_TYPE: "response"}.get(ce_type or "", "unknown")


def build_app(collector: Collector) -> web.Application:
    app = web.Application(client_max_size=collector.settings.max_event_bytes)
    app.router.add_get("/healthz", collector.healthz)
    app.router.add_get("/readyz", collector.readyz)
    app.router.add_get("/metrics", collector.metrics_page)
    app.router.add_post("/{tail:.*}", collector.receive)
    return app


async def serve(
    settings: CollectorSettings,
    *,
    store: Store,
    metrics: CollectorMetrics | None = None,
    announce: Callable[[str], None] = print,
) -> int:
    """Run until SIGTERM/SIGINT; 0 when everything acknowledged is written, 1 when the store kept it from it."""
    wal = WriteAheadLog(Path(settings.wal_dir)) if settings.wal_dir else None
    collector = Collector(settings=settings, store=store, metrics=metrics or CollectorMetrics(), wal=wal)
    # Before listening: what a killed predecessor acknowledged comes back first.
    replayed = collector.replay()
    if replayed:
        announce(
            f"modelmon collect: replayed {replayed} acknowledged events from the write-ahead log {settings.wal_dir}"
        )
    runner = web.AppRunner(build_app(collector), access_log=None, handle_signals=False, shutdown_timeout=5.0)
    await runner.setup()
    site = web.TCPSite(runner, settings.host, settings.port, reuse_address=True)
    await site.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    if not await collector.check_store():
        announce(f"modelmon collect: the store is down, events get 503 until it is back: {collector.store_error}")
    host, port = runner.addresses[0][:2]
    announce(f"modelmon collect: listening on http://{host}:{port}, writing to {store.uri}")
    flusher = asyncio.create_task(collector.run_flusher(stop))
    await stop.wait()
    collector.stopping = True
    # Closes the listener and waits for the requests in flight: all that can be acknowledged is in the buffer.
    await runner.cleanup()
    await flusher
    left = await collector.drain(seconds=settings.shutdown_seconds)
    if wal is not None:
        wal.close()
    if left:
        announce(f"modelmon collect: stopped with {left} acknowledged events not written: {collector.store_error}")
        return 1
    announce("modelmon collect: stopped; every acknowledged event is written")
    return 0
