"""Whether a text shows any part of a credential, in the forms a server may echo it back: plain,
URL-quoted, base64, JSON-escaped, hex in either case, and split over whitespace, lines and JSON
escapes."""

from __future__ import annotations

import base64
import json
import re
import urllib.parse

#: What a split echo puts between a credential's characters, as a reader would see through it.
_SPLITTERS = re.compile(r"\s+|\\[nrtbf]")
_ESCAPED = re.compile(r"\\u([0-9a-fA-F]{4})|\\([\\/\"])")


def forms(text: str) -> list[str]:
    """``text`` plain, URL-quoted, base64, JSON-escaped and hex (lower and upper case)."""
    raw = text.encode()
    return [
        text,
        urllib.parse.quote(text, safe=""),
        base64.b64encode(raw).decode(),
        json.dumps(text)[1:-1],
        raw.hex(),
        raw.hex().upper(),
    ]


def split(text: str, cuts: list[int], between: list[str]) -> str:
    """``text`` with ``between[k % len(between)]`` inserted at each position of ``cuts``."""
    pieces, kept = [], 0
    for k, cut in enumerate(sorted(set(c for c in cuts if 0 < c < len(text)))):
        pieces += [text[kept:cut], between[k % len(between)]]
        kept = cut
    return "".join(pieces) + text[kept:]


def json_interleaved(text: str, every: int = 4) -> str:
    """``text`` JSON-escaped, every ``every``-th character written as a \\u escape and an escaped
    line break after it."""
    return "".join(
        f"\\u{ord(c):04x}\\n" if k % every == every - 1 and ord(c) < 0x10000 else json.dumps(c)[1:-1]
        for k, c in enumerate(text)
    )


def echoes(text: str) -> list[str]:
    """Every form of ``text``, and split echoes: wrapped at 5 characters, spaced every 3, JSON-interleaved."""
    return [
        *forms(text),
        split(text, list(range(5, len(text), 5)), ["\n"]),
        split(text, list(range(3, len(text), 3)), [" ", "\t", "\r\n  "]),
        json_interleaved(text),
    ]


def read_through(text: str) -> str:
    """``text`` as a reader joins a split echo: whitespace and escaped line breaks gone, escapes decoded."""
    return _ESCAPED.sub(lambda m: chr(int(m.group(1), 16)) if m.group(1) else m.group(2), _SPLITTERS.sub("", text))


def assert_no_leak(text: str, credentials: list[str], where: str) -> None:
    """Neither a credential nor any 8 consecutive characters of one, in any of its encoded forms,
    in the text as it is or read through splits."""
    for shown in (text, read_through(text)):
        for credential in credentials:
            for form in forms(credential):
                pieces = {form[i : i + 8] for i in range(len(form) - 7)}
                leaked = sorted(p for p in pieces if p in shown)
                assert not leaked, f"{where} leaks {leaked[:3]} of a credential: {text!r}"
