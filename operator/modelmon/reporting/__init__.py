"""The drift report people look at: ``model`` decides what it shows (pure), ``plots`` and ``pages``
draw it as one self-contained HTML file (matplotlib SVG inline, no script, nothing fetched)."""
