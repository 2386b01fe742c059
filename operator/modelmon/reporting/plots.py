"""The report's pictures, drawn with matplotlib as inline SVG: no JavaScript, nothing fetched.

matplotlib, because it is the best-kept plotting library in Python's scientific stack and
renders offline to static SVG: the page stays a plain HTML file (no bundled JavaScript, as
plotly or bokeh would inline -- megabytes -- or fetch from a CDN), text in the SVG stays text
(``svg.fonttype = none``: small, selectable, readable by screen readers), and each picture is a
few tens of kilobytes. Speed: a new figure costs ~40 ms (layout, ticks); the numeric figure is
built once per ``Plotter`` and only its data is replaced for each feature (~15 ms), which keeps
50 features well under a second.

Each SVG gets ``role="img"``, an ``aria-label`` and a ``<title>``; ids inside it are salted per
picture (``svg.hashsalt``) so that clip paths of two inline SVGs never collide.
"""

from __future__ import annotations

import io
import itertools
import math
import multiprocessing
import re
from collections.abc import Sequence
from html import escape
from typing import Any
import matplotlib
import matplotlib.ticker
import numpy as np
from matplotlib.figure import Figure

from modelmon.drift.distributions import CategoricalSketch, NumericSketch, Sketch
from modelmon.reporting.model import MetricView

REFERENCE_FILL, REFERENCE_EDGE, CURRENT = "#a6c8e6", "#2b5d8a", "#c2410c"
UNSEEN = "#9f1239"
SEVERITY_COLOURS = {"ok": "#166534", "warning": "#a16207", "critical": "#b91c1c", "unknown": "#525252"}
STYLE: dict[Any, Any] = {  # rcParams keys are typed as literals; these are checked when the context opens
    "svg.fonttype": "none",
    "font.size": 9,
    "axes.titlesize": 9,
    "axes.labelsize": 8.5,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "legend.fontsize": 8,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.edgecolor": "#404040",
    "text.color": "#1f1f1f",
    "axes.labelcolor": "#1f1f1f",
    "xtick.color": "#1f1f1f",
    "ytick.color": "#1f1f1f",
}
WIDTH = 7.4
SCALE = 1.35
"""CSS pixels per figure pixel at most: the figures are drawn small (fast, small files) and shown larger."""


class Plotter:
    """Draws the report's figures; one per report, not shared between threads."""

    def __init__(self, *, salt: str = "mm") -> None:
        matplotlib.use("Agg", force=False)
        self._salt = salt
        self._salts = itertools.count()
        with matplotlib.rc_context(STYLE):
            self._numeric = _NumericFigure()
        self._history: _HistoryFigure | None = None

    def sketch(self, name: str, sketch: Sketch) -> str:
        return self.numeric(name, sketch) if isinstance(sketch, NumericSketch) else self.categorical(name, sketch)

    def drawing(self, drawing: Drawing) -> str:
        """A feature's plots: its distributions, then its score over the checks when there is a history."""
        name, sketch, series = drawing
        return self.sketch(name, sketch) + (self.history(name, series) if len(series) > 1 else "")

    def history(self, name: str, series: Sequence[tuple[str, float, str]]) -> str:
        if self._history is None:
            with matplotlib.rc_context(STYLE):
                self._history = _HistoryFigure()
        label = (
            f"{name}: severity score (0-100) over the last {len(series)} checks, from {series[0][0]} to "
            f"{series[-1][0]}; now {series[-1][2]}"
        )
        return self._svg(self._history.draw(series), label=label)

    def numeric(self, name: str, sketch: NumericSketch) -> str:
        label = (
            f"{name}: reference and current distributions overlaid, as a histogram of shares per bin "
            f"and as cumulative distributions"
        )
        return self._svg(self._numeric.draw(sketch), label=label)

    def categorical(self, name: str, sketch: CategoricalSketch) -> str:
        with matplotlib.rc_context(STYLE):
            figure = _categorical_figure(sketch)
        new = [s.name for s in sketch.categories if s.unseen]
        label = f"{name}: share of each category in the reference and the current data" + (
            f"; categories new in the current data: {', '.join(new)}" if new else ""
        )
        return self._svg(figure, label=label)

    def metric(self, view: MetricView) -> str:
        with matplotlib.rc_context(STYLE):
            figure = _metric_figure(view)
        return self._svg(figure, label=f"{view.metric} on each window against its baseline {view.baseline:.4g}")

    def _svg(self, figure: Figure, *, label: str) -> str:
        buffer = io.BytesIO()
        with matplotlib.rc_context({**STYLE, "svg.hashsalt": f"{self._salt}{next(self._salts)}"}):
            figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
        # every figure at one scale (its text the same size), shrinking with a narrow window
        return inline_svg(buffer.getvalue().decode(), label=label, max_width_px=figure.get_figwidth() * 96 * SCALE)


Drawing = tuple[str, Sketch, Sequence[tuple[str, float, str]]]
"""A feature's name, its sketch and its (time, severity score, severity) over the checks."""

# What a forked worker draws: set by draw_sketches just before it forks, read by the children.
_PENDING: list[Drawing] = []
PARALLEL_FROM = 12
"""Fewer features are drawn in the calling process: a worker's start costs more than it saves."""


def draw_sketches(drawings: Sequence[Drawing], *, processes: int = 1) -> list[str]:
    """The SVG of each feature's drawing, in order; on ``processes`` > 1 cores the list is split
    between this process and forked workers (drawing is CPU-bound Python: threads would not help).
    Forked, the workers inherit matplotlib already imported and the sketches; only the SVG text
    comes back. Where fork is unavailable, everything is drawn here."""
    global _PENDING
    chunks = max(1, min(processes, len(drawings) // (PARALLEL_FROM // 2)))
    if chunks == 1 or "fork" not in multiprocessing.get_all_start_methods():
        plotter = Plotter()
        return [plotter.drawing(drawing) for drawing in drawings]
    _PENDING = list(drawings)
    bounds = [(i * len(drawings) // chunks, (i + 1) * len(drawings) // chunks) for i in range(chunks)]
    try:
        with multiprocessing.get_context("fork").Pool(chunks - 1) as pool:
            theirs = pool.map_async(_draw_range, [(f"mm{i}-", *b) for i, b in enumerate(bounds) if i])
            mine = _draw_range(("mm0-", *bounds[0]))
            drawn = mine + [svg for chunk in theirs.get(timeout=600) for svg in chunk]
    finally:
        _PENDING = []
    return drawn


def _draw_range(task: tuple[str, int, int]) -> list[str]:
    salt, start, stop = task
    plotter = Plotter(salt=salt)
    return [plotter.drawing(drawing) for drawing in _PENDING[start:stop]]


def inline_svg(document: str, *, label: str, max_width_px: float | None = None) -> str:
    """An SVG document as an element of an HTML page: no XML prologue, labelled, responsive."""
    start = document.index("<svg")
    # matplotlib names its groups figure_1, axes_1, patch_2, ... in every figure: ids repeated across the
    # page's SVGs (invalid HTML). Only ids something points to (clip paths, markers: salted) are kept.
    referenced = set(re.findall(r"#([\w.-]+)\)?\"", document)) | set(re.findall(r"url\(#([\w.-]+)\)", document))
    svg = re.sub(r'\sid="([^"]+)"', lambda m: m.group(0) if m.group(1) in referenced else "", document[start:])
    opening_end = svg.index(">") + 1
    opening = re.sub(r'\s(width|height)="[^"]*"', "", svg[:opening_end])
    style = f' style="max-width:{max_width_px:.0f}px"' if max_width_px else ""
    opening = opening[:-1] + f' role="img" aria-label="{escape(label)}" class="plot"{style}>'
    return (
        opening
        + f"<title>{escape(label)}</title>"
        + svg[opening_end:].replace("<metadata>", "<!--").replace("</metadata>", "-->")
    )


class _NumericFigure:
    """Histogram (left) and cumulative distributions (right) of one numeric feature; the artists are
    made once and their data replaced for each feature."""

    def __init__(self) -> None:
        # fixed margins: a layout engine (constrained, tight) would re-solve on every feature (~60 ms)
        self.figure = Figure(figsize=(WIDTH, 2.3))
        self.figure.subplots_adjust(left=0.08, right=0.98, bottom=0.12, top=0.88, wspace=0.18)
        self.hist, self.ecdf = self.figure.subplots(1, 2)
        edges, zeros = np.array([0.0, 1.0]), np.zeros(1)
        self.reference_bars = self.hist.stairs(
            zeros, edges, fill=True, color=REFERENCE_FILL, edgecolor=REFERENCE_EDGE, label="reference"
        )
        self.current_bars = self.hist.stairs(zeros, edges, color=CURRENT, linewidth=1.8, label="current")
        (self.reference_line,) = self.ecdf.plot([0.0], [0.0], color=REFERENCE_EDGE, linewidth=1.6, label="reference")
        (self.current_line,) = self.ecdf.plot(
            [0.0], [0.0], color=CURRENT, linewidth=1.8, linestyle="--", label="current"
        )
        self.ecdf.set_ylim(0, 1.02)
        self.ecdf.set_yticks([0.0, 0.25, 0.5, 0.75, 1.0])
        # Speed (each saves 10-20 ms a feature): titles as plain text, not set_title (whose position is
        # re-solved against the tick labels); axis-label positions fixed; the legend is the page's key.
        for axes, title in ((self.hist, "share of values per bin"), (self.ecdf, "cumulative share (ECDF)")):
            axes.text(0.0, 1.04, title, transform=axes.transAxes, fontsize=9)
            axes.xaxis.set_label_coords(0.5, -0.1)
            axes.yaxis.set_label_coords(-0.1, 0.5)
            axes.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(nbins=5))
        self.hist.yaxis.set_major_locator(matplotlib.ticker.MaxNLocator(nbins=4))
        for value in (0.25, 0.5, 0.75):  # the quartiles, as reference lines (cheaper than a grid re-laid per feature)
            self.ecdf.axhline(value, color="#d4d4d4", linewidth=0.8, zorder=0)

    def draw(self, sketch: NumericSketch) -> Figure:
        self.reference_bars.set_data(sketch.reference_shares, sketch.edges)
        self.current_bars.set_data(sketch.current_shares, sketch.edges)
        self.reference_line.set_data(sketch.reference_quantiles, sketch.probabilities)
        self.current_line.set_data(sketch.current_quantiles, sketch.probabilities)
        top = float(max(sketch.reference_shares.max(initial=0.0), sketch.current_shares.max(initial=0.0)))
        # one x range for both panels (the histogram's: 0.5th to 99.5th percentile), so they line up
        for axes in (self.hist, self.ecdf):
            axes.set_xlim(float(sketch.edges[0]), float(sketch.edges[-1]))
        self.hist.set_ylim(0, top * 1.15 or 1.0)
        return self.figure


class _HistoryFigure:
    """One feature's severity score over the checks, against the 25/50/75 cuts (moderate, significant,
    critical); made once, its data replaced for each feature."""

    def __init__(self) -> None:
        self.figure = Figure(figsize=(WIDTH, 1.5))
        self.figure.subplots_adjust(left=0.08, right=0.98, bottom=0.2, top=0.82)
        self.axes = self.figure.subplots()
        for cut, colour in ((25, "#a16207"), (50, "#c2410c"), (75, "#b91c1c")):
            self.axes.axhline(cut, color=colour, linewidth=0.8, linestyle=":", zorder=0)
        (self.line,) = self.axes.plot([0.0], [0.0], color=REFERENCE_EDGE, marker="o", markersize=4, linewidth=1.4)
        self.axes.set_ylim(0, 102)
        self.axes.set_yticks([0, 25, 50, 75, 100])
        self.axes.xaxis.set_label_coords(0.5, -0.1)
        self.axes.yaxis.set_label_coords(-0.1, 0.5)
        self.axes.text(
            0.0,
            1.06,
            "severity score over the checks (dotted: moderate 25, significant 50, critical 75)",
            transform=self.axes.transAxes,
            fontsize=9,
        )

    def draw(self, series: Sequence[tuple[str, float, str]]) -> Figure:
        xs = np.arange(len(series), dtype=np.float64)
        self.line.set_data(xs, [score for _, score, _ in series])
        self.axes.set_xlim(-0.3, len(series) - 0.7)
        ends = [0, len(series) - 1]
        self.axes.set_xticks(ends, [series[i][0].replace("T", " ").removesuffix("Z") for i in ends])
        return self.figure


def _categorical_figure(sketch: CategoricalSketch) -> Figure:
    shares = list(sketch.categories) + ([sketch.other] if sketch.other is not None else [])
    height_in = 0.75 + 0.26 * max(len(shares), 1)
    figure = Figure(figsize=(WIDTH, height_in))
    # fixed margins (a layout engine costs ~60 ms a figure): the left one fits the longest name at ~5 pt a character
    longest = max((len(_short(s.name)) + (6 if s.unseen else 0) for s in shares), default=4)
    figure.subplots_adjust(
        left=min(0.45, (longest * 5.2 + 14) / (WIDTH * 72)),
        right=0.98,
        bottom=0.32 / height_in,
        top=1 - 0.3 / height_in,
    )
    axes = figure.subplots()
    axes.xaxis.set_label_coords(0.5, -0.1)
    axes.yaxis.set_label_coords(-0.1, 0.5)
    positions = np.arange(len(shares))[::-1].astype(np.float64)
    height = 0.38
    names = [_short(s.name) + (" (new)" if s.unseen else "") for s in shares]
    axes.barh(
        positions + height / 2,
        [s.reference_share for s in shares],
        height=height,
        color=REFERENCE_FILL,
        edgecolor=REFERENCE_EDGE,
        label="reference",
    )
    current = axes.barh(
        positions - height / 2, [s.current_share for s in shares], height=height, color=CURRENT, label="current"
    )
    for bar, share in zip(current, shares):
        if share.unseen:
            bar.set_color(UNSEEN)
            bar.set_hatch("///")
            bar.set_edgecolor("white")
    axes.set_yticks(positions, names)
    for tick, share in zip(axes.get_yticklabels(), shares):
        if share.unseen:
            tick.set_color(UNSEEN)
            tick.set_fontweight("bold")
    axes.xaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0, decimals=0))
    axes.text(
        0.0,
        1.0 + 0.08 / height_in,
        "share of non-missing values per category"
        + ("; new categories in red, hatched" if any(s.unseen for s in shares) else ""),
        transform=axes.transAxes,
        fontsize=9,
    )
    axes.grid(axis="x", alpha=0.3)
    return figure


def _metric_figure(view: MetricView) -> Figure:
    figure = Figure(figsize=(WIDTH * 0.6, 2.2), layout="constrained")
    axes = figure.subplots()
    windows = list(view.windows)
    xs = np.arange(len(windows), dtype=np.float64)
    axes.axhline(view.baseline, color="#404040", linestyle="--", linewidth=1.2, label=f"baseline {view.baseline:.4g}")
    for x, window in zip(xs, windows):
        if window.value is None or not math.isfinite(window.value):
            continue
        colour = SEVERITY_COLOURS.get(window.severity, "#525252")
        axes.plot([x], [window.value], marker="o", markersize=8, color=colour, linestyle="none")
        p_value = "" if window.p_value is None else f"p={window.p_value:.2g}"
        axes.annotate(
            f"{window.value:.3g}\n{p_value}".strip(),
            (x, window.value),
            textcoords="offset points",
            xytext=(10, -6),
            fontsize=7.5,
            color=colour,
        )
    axes.set_xticks(xs, [f"{w.window}\n(n={w.samples})" for w in windows])
    axes.set_xlim(-0.5, len(windows) - 0.3)
    axes.set_title(view.metric, loc="left")
    axes.legend(loc="best", frameon=False)
    axes.grid(axis="y", alpha=0.3)
    return figure


def _short(name: str, limit: int = 28) -> str:
    return name if len(name) <= limit else name[: limit - 1] + "…"
