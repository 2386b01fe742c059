"""Alert delivery to sinks: Alertmanager, Slack, generic webhooks, email.

``batches`` and ``payloads`` (pure) turn the notifications of one check into one message
per sink; ``signing`` and ``redaction`` are pure helpers; ``sinks`` sends (I/O);
``delivery`` owns the queues, retries and rate limits behind a non-blocking ``submit``.
"""
