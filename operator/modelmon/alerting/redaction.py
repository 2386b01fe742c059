"""Scrubbing secrets out of error texts before they reach logs, status or metrics.

Exceptions from HTTP and SMTP libraries quote what they were given: a URL (whose path or
query is the credential for Slack and most webhooks), a host, a server's reply that echoes a
token. Everything a sink read from a Secret is registered here, and every error text passes
through :meth:`Redactor.redact`, which removes those values (also in the forms a server may
echo them in: URL-quoted, base64 (also inside a longer base64 text, at any byte offset),
JSON-escaped, hex in either case; for a URL, its host, path and query separately), a secret's fragment where the text was cut off in the middle of it, and,
as a second line of defence, every URL at all.

Split echoes: a reply may wrap a token over lines, pad it with spaces, or interleave it with JSON
escapes (``\\n``, ``\\u0041``, ``\\/``). So the text is also read as its *skeleton* -- whitespace and
JSON line-break escapes dropped, other escapes decoded, each skeleton character remembering where
it came from -- and every run of :data:`RUN` skeleton characters that is a run of some registered
form (or of its skeleton) is removed from the original text, with whatever whitespace and escapes
lay inside it. No :data:`RUN` consecutive characters of a secret's form survive, whole or split.
Linear time: one pass to build the skeleton, one set look-up per position.

Order matters: redact the whole text first, shorten it after (:func:`shorten`). Cutting first
can leave 30 characters of a 38-character token that no longer match the registered value.
"""

from __future__ import annotations

import base64
import heapq
import json
import re
import urllib.parse

REDACTED = "[redacted]"
#: A scheme starts a word and is short: unbounded, a 64 KiB run of letters costs quadratic time.
_URL = re.compile(r"(?<![a-zA-Z0-9+.-])[a-zA-Z][a-zA-Z0-9+.-]{0,31}://[^\s'\"<>]+")
#: Shorter values would redact ordinary words; no real credential is that short.
_MIN_LENGTH = 4
#: A text that ends inside a secret (a reply read up to a limit) loses the secret's beginning from
#: this many characters on; only for values long enough that the rest stays a secret.
_MIN_FRAGMENT = 4
_MIN_FRAGMENTED_VALUE = 8
#: How much of an error text is kept once redacted (status and log lines stay readable).
DEFAULT_LIMIT = 300
#: No run of this many characters of a registered form survives anywhere in a text, whole or
#: split by whitespace and JSON escapes. Shorter forms are removed only whole.
RUN = 8
#: Forms up to this long are also looked for inside a longer base64 text (at every byte offset);
#: credentials are far shorter, a CA bundle (registered too, though public) far longer.
_MAX_SHIFTED = 1024
#: Runs are kept for forms up to this long (a few thousand set entries a credential); a longer
#: value -- a CA bundle of hundreds of KiB, registered though public -- is removed only whole.
_MAX_RUN_SOURCE = 16384
#: How long a cut-off fragment of such a long value at either end of a text may be and still be found.
_MAX_EDGE = 4096
#: The pieces of a text's skeleton: a ``\\uXXXX`` escape (decoded), an escaped line break, tab,
#: backspace or form feed (dropped, as whitespace), another JSON escape (decoded), whitespace
#: (dropped), a run of ordinary characters (kept), a lone backslash (kept).
_PIECE = re.compile(r"\\u[0-9a-fA-F]{4}|\\[nrtbf]|\\[\\/\"]|\s+|[^\\\s]+|\\")


def _encodings(value: str) -> set[str]:
    """The forms a server or library may print ``value`` in."""
    raw = value.encode()
    forms = {value, urllib.parse.quote(value, safe=""), urllib.parse.quote(value), urllib.parse.quote_plus(value)}
    for encoded in (base64.b64encode(raw).decode(), base64.urlsafe_b64encode(raw).decode()):
        forms.update({encoded, encoded.rstrip("=")})
    escaped = json.dumps(value)[1:-1]
    forms.update({escaped, escaped.replace("/", "\\/"), json.dumps(value, ensure_ascii=False)[1:-1]})
    forms.update({raw.hex(), raw.hex().upper()})
    return forms


def _base64_cores(form: str) -> set[str]:
    """What base64 (standard and URL-safe) of ``form`` looks like wherever ``form`` sits in a longer
    base64-encoded text: at each of the three byte offsets, the characters that depend on ``form``
    alone (a server that base64-encodes ``Authorization: Bearer TOKEN`` whole shifts TOKEN by 22
    bytes, and its encoding is not the encoding of TOKEN)."""
    raw = form.encode()
    cores = set()
    for offset in range(3):
        first, last = -(-8 * offset // 6), 8 * (offset + len(raw)) // 6
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            cores.add(encode(b"\0" * offset + raw).decode()[first:last])
    for encode in (base64.b64encode, base64.urlsafe_b64encode):  # and at the end of the text
        cores.add(encode(raw).decode())
    return cores


def _skeleton(text: str) -> tuple[str, list[int], list[int]]:
    """``text`` without whitespace and with JSON escapes decoded (line-break escapes dropped), and
    for each skeleton character the start and end of what it came from in ``text``."""
    chars: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    for piece in _PIECE.finditer(text):
        token, start, end = piece.group(), piece.start(), piece.end()
        escape = token[0] == "\\" and len(token) > 1
        if token[0].isspace() or (escape and token[1] in "nrtbf"):
            continue
        if escape and token[1] == "u":
            chars.append(chr(int(token[2:], 16)))
        elif escape:
            chars.append(token[1])
        else:
            chars.append(token)
            starts.extend(range(start, end))
            ends.extend(range(start + 1, end + 1))
            continue
        starts.append(start)
        ends.append(end)
    return "".join(chars), starts, ends


class Redactor:
    def __init__(self) -> None:
        self._values: set[str] = set()
        self._runs: set[str] = set()
        """Every run of RUN characters of a registered form, of its skeleton and of its base64 at any offset."""

    def add(self, value: str) -> None:
        """Register a secret value (and the forms it may show up in)."""
        plain = {value, value.strip()}
        parts = urllib.parse.urlsplit(value.strip())
        if parts.scheme and parts.netloc:
            plain.update({parts.netloc, parts.path, parts.query})
            if parts.hostname:
                plain.add(parts.hostname)
        forms = {f for f in set().union(*(_encodings(p) for p in plain if p)) if len(f) >= _MIN_LENGTH and f != "/"}
        # An encoding of an encoding: a server that hex-dumps or quotes a header it received whole
        # (``Basic <base64 of user:password>``) prints the base64 form encoded again.
        short = [f for f in forms if len(f) <= _MAX_SHIFTED]
        forms.update(*({f.encode().hex(), f.encode().hex().upper(), urllib.parse.quote(f, safe="")} for f in short))
        self._values.update(forms)
        shapes = {shape for form in forms for shape in (form, _skeleton(form)[0])}
        shapes.update(*(_base64_cores(form) for form in short))
        for shape in shapes:
            if len(shape) <= _MAX_RUN_SOURCE:
                self._runs.update(shape[i : i + RUN] for i in range(len(shape) - RUN + 1))

    def add_basic_auth(self, username: str, password: str) -> None:
        self.add(password)
        self.add(f"{username}:{password}")

    def add_sasl_plain(self, username: str, password: str) -> None:
        """SMTP AUTH PLAIN sends base64 of ``\0user\0password``: a server may quote it back."""
        self.add(password)
        self.add(f"\0{username}\0{password}")

    def redact(self, text: str) -> str:
        # Longest first, so a URL is removed whole before its parts are looked for.
        ordered = sorted(self._values, key=len, reverse=True)
        for value in ordered:
            text = text.replace(value, REDACTED)
        text = _URL.sub(REDACTED, text)
        text = self._cut_runs(text)
        return self._cut_fragments(text, ordered)

    def _cut_runs(self, text: str) -> str:
        """Every stretch of ``text`` whose skeleton is made of registered runs, removed whole
        (the whitespace and escapes inside it too)."""
        if not self._runs:
            return text
        skeleton, starts, ends = _skeleton(text)
        # The text as it is (an escape may be part of a registered form), and read through its
        # splits; both lists come sorted, so merging them stays linear.
        as_is = self._stretches(text)
        read_through = [(starts[first], ends[last - 1]) for first, last in self._stretches(skeleton)]
        merged: list[list[int]] = []
        for start, end in heapq.merge(as_is, read_through):
            if merged and start <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        if not merged:
            return text
        pieces, kept = [], 0
        for start, end in merged:
            pieces += [text[kept:start], REDACTED]
            kept = end
        pieces.append(text[kept:])
        return "".join(pieces)

    def _stretches(self, text: str) -> list[tuple[int, int]]:
        """[start, end) stretches of ``text`` made of registered runs, overlapping ones merged."""
        covered: list[list[int]] = []
        for index in range(len(text) - RUN + 1):
            if text[index : index + RUN] in self._runs:
                if covered and index <= covered[-1][1]:
                    covered[-1][1] = index + RUN
                else:
                    covered.append([index, index + RUN])
        return [(start, end) for start, end in covered]

    @staticmethod
    def _cut_fragments(text: str, values: list[str]) -> str:
        """A text cut off inside a secret ends with its beginning (or starts with its end)."""
        for value in values:
            if len(value) < _MIN_FRAGMENTED_VALUE:
                continue
            # Fragments of RUN characters or more of a value with runs are gone already (_cut_runs):
            # only the shorter ones are looked for, which keeps this linear in the text.
            longest = RUN - 1 if len(value) <= _MAX_RUN_SOURCE else _MAX_EDGE
            for size in range(min(len(value) - 1, len(text), longest), _MIN_FRAGMENT - 1, -1):
                if text.endswith(value[:size]):
                    text = text[:-size] + REDACTED
                    break
            for size in range(min(len(value) - 1, len(text), longest), _MIN_FRAGMENT - 1, -1):
                if text.startswith(value[-size:]):
                    text = REDACTED + text[size:]
                    break
        return text


def shorten(text: str, limit: int = DEFAULT_LIMIT) -> str:
    """``text`` cut to ``limit`` characters, never in the middle of a redaction marker.

    Only for a text that is already redacted: cutting a secret first leaves a fragment that no
    longer matches it.
    """
    text = text.strip()
    if len(text) <= limit:
        return text
    cut = limit - 1
    marker = text.find(REDACTED, max(0, cut - len(REDACTED) + 1), cut + len(REDACTED) - 1)
    if marker != -1 and marker < cut:
        cut = marker
    return text[:cut].rstrip() + "…"
