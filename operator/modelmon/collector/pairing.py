"""Pairing each request with its response by id, in a buffer of bounded size.

KServe sends the request and the response of one inference as two events with the same id, in either
order (its logger posts them from a pool of workers). The buffer holds an event until its partner
arrives; the pair becomes rows (features and predictions side by side) ready to be written.

What is left unpaired after ``pair_timeout`` (or at shutdown):

- a request is written with null predictions: its inputs still show drift, and a prediction that
  never came back is worth seeing as a gap rather than losing the request;
- a response is dropped and counted (``dropped_responses``): without its request it has no features
  and no event time of the inference, and a row of predictions alone would look like missing data to
  every feature check. KServe sends the request first, so this happens when the request went to
  another collector replica (the chart's Service pins a client to one replica) or before a restart.

Size is counted in events (a pair counts two) and in payload bytes as received; :meth:`PairingBuffer.add`
refuses an event when the buffer holds ``capacity`` events or ``capacity_bytes`` bytes, including those
taken for writing and not yet confirmed, so memory is bounded whatever the store does and however large
the events (a batch of many instances is one event). The partner of a waiting event is still taken (refusing it would
only turn a whole row into a half one), so the buffer holds at most twice ``capacity`` events.
Pure: the clock is an argument.
"""

from __future__ import annotations

import collections
import dataclasses
import datetime
from typing import Any

from modelmon.collector import layout
from modelmon.collector.events import EventError, InferenceEvent, Kind, ModelKey, Refusal
from modelmon.collector.layout import ID, TIMESTAMP


#: A row to write: id, timestamp (an aware datetime), features, predictions.
Row = dict[str, Any]


class BufferFull(Exception):
    """The buffer holds ``capacity`` events: the sender should retry later."""


@dataclasses.dataclass
class FileBatch:
    """Rows bound for one file: one model, one hour partition. ``events``: how many events they hold."""

    model: ModelKey
    partition: str
    rows: list[Row]
    events: int
    #: Payload bytes of those events.
    size: int = 0
    #: The model's prediction columns, so that a file of unanswered requests still has them (as nulls).
    columns: tuple[str, ...] = ()
    #: How many of its events carry each mark (the write-ahead log's segment each was recorded in).
    marks: collections.Counter[int] = dataclasses.field(default_factory=collections.Counter)


@dataclasses.dataclass
class _Ready:
    rows: list[Row] = dataclasses.field(default_factory=list)
    events: int = 0
    size: int = 0
    marks: collections.Counter[int] = dataclasses.field(default_factory=collections.Counter)


class PairingBuffer:
    def __init__(self, *, capacity: int, pair_timeout: datetime.timedelta, capacity_bytes: int | None = None) -> None:
        self.capacity = capacity
        self.capacity_bytes = capacity_bytes
        self.pair_timeout = pair_timeout
        self._waiting: dict[tuple[ModelKey, str, Kind], tuple[InferenceEvent, datetime.datetime, int]] = {}
        self._ready: dict[tuple[ModelKey, str], _Ready] = {}
        self._prediction_columns: dict[ModelKey, tuple[str, ...]] = {}
        self._ready_events = 0
        self._oldest_ready: datetime.datetime | None = None
        self.taken_events = 0
        #: Payload bytes held (waiting, ready and taken).
        self.size = 0
        self.dropped_responses = 0
        self.unanswered_requests = 0
        #: Marks of events forgotten without being written (dropped responses, replaced resends).
        self.released: collections.Counter[int] = collections.Counter()

    @property
    def events(self) -> int:
        """Events held: waiting for a partner, ready to write, or taken and not yet confirmed."""
        return len(self._waiting) + self._ready_events + self.taken_events

    @property
    def ready_rows(self) -> int:
        return sum(len(ready.rows) for ready in self._ready.values())

    def ready_since(self) -> datetime.datetime | None:
        """When the oldest row ready to write became ready (None: nothing ready)."""
        return self._oldest_ready

    def add(self, event: InferenceEvent, *, now: datetime.datetime, mark: int = 0, replay: bool = False) -> None:
        """Hold ``event``, or pair it with its partner; raises BufferFull, or EventError when the partner's
        rows do not match (a response with another number of predictions than its request has instances).
        ``mark`` travels with the event to the FileBatch that writes it (or to ``released``); ``replay``:
        events acknowledged before a restart, taken whatever the capacity."""
        partner_kind = Kind.RESPONSE if event.kind is Kind.REQUEST else Kind.REQUEST
        partner = self._waiting.get((event.model, event.id, partner_kind))
        if partner is None:
            key = (event.model, event.id, event.kind)
            # A resent event replaces the one held (the sender retried after a lost acknowledgement).
            replaced = self._waiting.get(key)
            if replaced is None and self.events >= self.capacity and not replay:
                raise BufferFull(f"{self.events} events buffered (the limit)")
            if (
                self.capacity_bytes is not None
                and self.size
                and self.size + event.size > self.capacity_bytes
                and not replay
            ):
                raise BufferFull(f"{self.size} bytes of events buffered (the limit is {self.capacity_bytes})")
            if replaced is not None:
                self.released[replaced[2]] += 1
                self.size -= replaced[0].size
            self._waiting[key] = (event, now, mark)
            self.size += event.size
            return
        request, response = (event, partner[0]) if event.kind is Kind.REQUEST else (partner[0], event)
        if len(request.rows) != len(response.rows):
            raise EventError(
                Refusal.UNPAIRABLE,
                f"the response to {event.id!r} has {len(response.rows)} predictions "
                f"but its request has {len(request.rows)} instances",
            )
        del self._waiting[(event.model, event.id, partner_kind)]
        self.size += event.size
        self._prediction_columns[event.model] = tuple(response.rows[0]) if response.rows else ()
        self._make_ready(request, response, now=now, marks=(mark, partner[2]))

    def expire(self, *, now: datetime.datetime, everything: bool = False) -> None:
        """Settle what waited longer than the pair timeout (``everything``: all, at shutdown)."""
        for key, (event, since, mark) in list(self._waiting.items()):
            if not everything and now - since < self.pair_timeout:
                continue
            del self._waiting[key]
            if event.kind is Kind.REQUEST:
                self.unanswered_requests += 1
                self._make_ready(event, None, now=now, marks=(mark,))
            else:
                self.dropped_responses += 1
                self.released[mark] += 1
                self.size -= event.size

    def take(self) -> list[FileBatch]:
        """Everything ready, one batch per file; held (counted in ``events``) until done() or restore()."""
        batches = [
            FileBatch(
                model=model,
                partition=partition,
                rows=ready.rows,
                events=ready.events,
                size=ready.size,
                columns=self._prediction_columns.get(model, ()),
                marks=ready.marks,
            )
            for (model, partition), ready in self._ready.items()
        ]
        self._ready.clear()
        self.taken_events += self._ready_events
        self._ready_events = 0
        self._oldest_ready = None
        return batches

    def done(self, batch: FileBatch) -> None:
        """``batch`` is in the store: forget it."""
        self.taken_events -= batch.events
        self.size -= batch.size

    def restore(self, batch: FileBatch, *, now: datetime.datetime) -> None:
        """``batch`` could not be written: hold it again, to be written by a later take()."""
        self.taken_events -= batch.events
        ready = self._ready.setdefault((batch.model, batch.partition), _Ready())
        ready.rows[:0] = batch.rows
        ready.events += batch.events
        ready.size += batch.size
        ready.marks.update(batch.marks)
        self._ready_events += batch.events
        self._oldest_ready = min(self._oldest_ready or now, now)

    def _make_ready(
        self,
        request: InferenceEvent,
        response: InferenceEvent | None,
        *,
        now: datetime.datetime,
        marks: tuple[int, ...],
    ) -> None:
        many = len(request.rows) > 1
        rows: list[Row] = []
        for index, features in enumerate(request.rows):
            # A batch of instances shares the inference's id: each row gets "<id>-<index>".
            row: Row = {ID: f"{request.id}-{index}" if many else request.id}
            row.update(features)
            if response is not None:
                for name, value in response.rows[index].items():
                    row[name if name not in features and name not in (ID, TIMESTAMP) else f"prediction_{name}"] = value
            rows.append(row)
        ready = self._ready.setdefault((request.model, layout.partition(request.time)), _Ready())
        for row in rows:
            row[TIMESTAMP] = request.time
        ready.rows.extend(rows)
        ready.marks.update(marks)
        ready.size += request.size + (response.size if response is not None else 0)
        events = 1 if response is None else 2
        ready.events += events
        self._ready_events += events
        if self._oldest_ready is None:
            self._oldest_ready = now
