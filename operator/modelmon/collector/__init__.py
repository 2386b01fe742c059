"""``modelmon collect``: KServe inference-logger CloudEvents in, hourly-partitioned Parquet out.

The modules, from pure to I/O: ``payloads`` flattens v1/v2 request and response bodies into rows,
``events`` reads a CloudEvent (binary or structured HTTP mode), ``pairing`` pairs a request with
its response by id in a bounded buffer, ``layout`` says where a row is written, ``capture`` in which
columns and types (it is also the standalone helper for custom model servers), ``stores`` writes a
file atomically to a directory or an object store, ``server`` is the HTTP edge (aiohttp) and the
flusher. Importing this package imports nothing heavy, so ``modelmon.collector.capture`` stays
cheap for a model server.
"""
