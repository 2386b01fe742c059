"""The report as one self-contained HTML page: inline CSS and SVG, no script, no link out.

Everything a reader needs opens from a single file, offline, in any browser (or an e-mail
attachment, or a CI artifact): verdict and health on top, a table of every feature worst first
linking to its section, then per feature the two distributions overlaid, the score against its
method's cut points and the missing-value change; data quality; performance by window.
"""

from __future__ import annotations

import math
from html import escape

import numpy as np

from modelmon.drift.distributions import CategoricalSketch, NumericSketch
from modelmon.drift.results import QualityIssue
from modelmon.reporting.model import Cuts, FeatureView, ReportView
from modelmon.reporting import plots
from modelmon.reporting.plots import Plotter

HEALTH_COLOURS = {"Healthy": "#166534", "Warning": "#a16207", "Critical": "#b91c1c", "Unknown": "#525252"}
SEVERITY_COLOURS = {
    "critical": "#b91c1c",
    "significant": "#c2410c",
    "moderate": "#a16207",
    "stable": "#166534",
    "unknown": "#525252",
    "warning": "#a16207",
    "ok": "#166534",
}

CSS = """
:root { color-scheme: light; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: #1f1f1f;
       background: #ffffff; margin: 0 auto; max-width: 1040px; padding: 1.2rem 1.5rem 3rem; }
h1 { font-size: 1.45rem; margin: 0 0 .4rem; overflow-wrap: anywhere; }
h2 { font-size: 1.2rem; margin: 2rem 0 .6rem; border-bottom: 1px solid #d4d4d4; padding-bottom: .2rem; }
h3 { font-size: 1.05rem; margin: 0 .5rem 0 0; display: inline; }
.verdict { border-left: 6px solid; padding: .6rem 1rem; background: #f5f5f5; margin: .8rem 0; }
.badge { display: inline-block; color: #ffffff; border-radius: 3px; padding: 0 .45rem; font-size: .85rem;
         font-weight: 600; vertical-align: middle; }
.big { font-size: 1.1rem; padding: .1rem .6rem; }
.meta { color: #404040; font-size: .9rem; }
table { border-collapse: collapse; width: 100%; font-size: .9rem; }
th, td { text-align: left; padding: .25rem .5rem; border-bottom: 1px solid #e5e5e5; vertical-align: top; }
th { background: #f5f5f5; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
a { color: #1d4ed8; }
section.feature { border: 1px solid #e5e5e5; border-radius: 6px; padding: .7rem 1rem; margin: 1rem 0; }
.meter { position: relative; height: 10px; width: 220px; display: inline-block; vertical-align: middle;
         background: linear-gradient(to right, #dcfce7 0 25%, #fef3c7 25% 50%, #ffedd5 50% 75%, #fee2e2 75%);
         border: 1px solid #a3a3a3; margin-right: .5rem; }
.meter span { position: absolute; top: -4px; width: 3px; height: 16px; background: #1f1f1f; }
svg.plot { width: 100%; height: auto; display: block; margin-top: .4rem; }
ul.issues { margin: .3rem 0; padding-left: 1.2rem; }
.key { font-size: .85rem; margin: .4rem 0 0; }
.swatch { display: inline-block; width: 1.6em; height: .8em; vertical-align: middle; margin: 0 .3em 0 .8em; }
"""
# The plots' legend, once in the page's text (cheaper than one legend per figure, and read by screen readers).
KEY = (
    f'<p class="key">key:<span class="swatch" style="background:{plots.REFERENCE_FILL};border:1px solid '
    f'{plots.REFERENCE_EDGE}"></span>reference (filled; solid line)<span class="swatch" style="background:'
    f'{plots.CURRENT}"></span>current (outline; dashed line)'
)
NEW_CATEGORY = f'<span class="swatch" style="background:{plots.UNSEEN}"></span>a category new in the current data'


def _key(sketch: NumericSketch | CategoricalSketch) -> str:
    unseen = isinstance(sketch, CategoricalSketch) and any(
        s.unseen for s in (*sketch.categories, *([sketch.other] if sketch.other else []))
    )
    return KEY + (NEW_CATEGORY if unseen else "") + "</p>"


def render_page(view: ReportView, *, plotter: Plotter | None = None, processes: int = 1) -> str:
    """The whole page; ``plotter`` draws the performance figures (one is made when not given), the
    features' figures are drawn by ``plots.draw_sketches`` on up to ``processes`` processes."""
    plotter = plotter or Plotter()
    drawable = [item for item in view.features if item.sketch is not None]
    drawn = dict(
        zip(
            (item.feature.name for item in drawable),
            plots.draw_sketches(
                [(item.feature.name, item.sketch, item.history) for item in drawable if item.sketch],
                processes=processes,
            ),
        )
    )
    parts = [
        f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
        f'img-src data:">\n<title>{escape(view.title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>'
    ]
    parts.append(_header(view))
    parts.append(_overview(view))
    parts.append('<h2 id="features">Features, worst first</h2>')
    parts.extend(
        _feature(index, feature, drawn.get(feature.feature.name)) for index, feature in enumerate(view.features)
    )
    parts.append(_quality(view.quality_issues))
    parts.append(_performance(view, plotter))
    parts.append("</main>\n</body>\n</html>\n")
    return "\n".join(parts)


def _header(view: ReportView) -> str:
    report, colour = view.report, HEALTH_COLOURS.get(view.health, "#525252")
    return (
        f"<header><h1>{escape(view.title)}</h1>"
        f'<div class="verdict" style="border-color:{colour}">'
        f'<span class="badge big" style="background:{colour}">{escape(view.health)}</span> '
        f"<strong>{escape(view.headline)}</strong></div>"
        f'<p class="meta">reference {escape(report.reference)} ({report.reference_rows:,} rows) &middot; current '
        f"{escape(report.current)} ({report.current_rows:,} rows) &middot; check took "
        f"{report.duration_seconds:.2f} s &middot; generated {escape(view.generated_at)}</p></header>"
    )


def _overview(view: ReportView) -> str:
    rows = []
    for index, item in enumerate(view.features):
        f = item.feature
        rows.append(
            f'<tr><td><a href="#f{index}">{escape(f.name)}</a></td><td>{escape(f.kind)}</td>'
            f"<td>{_badge(f.severity)}</td><td>{escape(f.method or '-')}</td>"
            f'<td class="num">{_number(f.score)}</td><td class="num">{_number(f.adjusted_pvalue)}</td>'
            f"<td>{_missing(item)}</td></tr>"
        )
    return (
        '<h2 id="overview">Overview</h2><table><caption class="meta">every feature, worst first; the p-value is '
        'the feature\'s test adjusted over the judged features</caption><thead><tr><th scope="col">feature</th>'
        '<th scope="col">type</th><th scope="col">severity</th><th scope="col">method</th>'
        '<th scope="col">score</th><th scope="col">adjusted p</th><th scope="col">missing (reference &rarr; '
        f"current)</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def _feature(index: int, item: FeatureView, plot: str | None) -> str:
    f = item.feature
    body = [
        f'<section class="feature" id="f{index}" aria-labelledby="f{index}-name">',
        f'<h3 id="f{index}-name">{escape(f.name)}</h3>{_badge(f.severity)} '
        f'<span class="meta">{escape(f.kind)}, {f.reference_rows:,} reference and {f.current_rows:,} current rows'
        f"</span>",
        f"<p>{_score(item)}</p>",
        f"<p>missing values: {_missing(item)}</p>",
    ]
    if item.issues:
        body.append(
            '<ul class="issues">'
            + "".join(f"<li>{_badge(i.severity)} {escape(i.message)}</li>" for i in item.issues)
            + "</ul>"
        )
    if item.sketch is not None and plot is not None:
        body.append(_key(item.sketch))
        if isinstance(item.sketch, NumericSketch):
            body.append(_outside(item.sketch))
        body.append(plot)
    else:
        body.append('<p class="meta">no distributions to draw (the column was not compared)</p>')
    body.append("</section>")
    return "\n".join(body)


def _outside(sketch: NumericSketch) -> str:
    """What the plots leave out: the shares beyond the drawn range (0.5th to 99.5th percentile of both)."""
    parts = [
        f"{side}: {below:.1%} below, {above:.1%} above" if np.isfinite(quantiles).any() else f"{side}: no values"
        for side, (below, above), quantiles in (
            ("reference", sketch.reference_outside, sketch.reference_quantiles),
            ("current", sketch.current_outside, sketch.current_quantiles),
        )
    ]
    return (
        f'<p class="meta">drawn from {sketch.edges[0]:.4g} to {sketch.edges[-1]:.4g}; outside that range: '
        f"{'; '.join(parts)}</p>"
    )


def _score(item: FeatureView) -> str:
    f, cuts = item.feature, item.cuts
    if cuts is None or f.score is None:
        return f"not judged: {escape(f.reason)}"
    position = max(0.0, min(100.0, f.severity_score))
    meter = (
        f'<span class="meter" role="img" aria-label="severity score {position:.0f} of 100; the cut points '
        f'moderate, significant and critical sit at 25, 50 and 75"><span style="left:calc({position:.1f}% - 1px)">'
        f"</span></span>"
    )
    return f'{meter}{escape(_cuts_text(f.score, cuts))}<br><span class="meta">{escape(f.reason)}</span>'


def _cuts_text(score: float, cuts: Cuts) -> str:
    if cuts.decreasing:
        return (
            f"{cuts.method} p-value {score:.3g}; drift below {cuts.moderate:g} (moderate), "
            f"{cuts.significant:g} (significant), {cuts.critical:g} (critical)"
        )
    return (
        f"{cuts.method} {score:.4g}; cut points {cuts.moderate:g} (moderate), {cuts.significant:g} "
        f"(significant), {cuts.critical:g} (critical)"
    )


def _missing(item: FeatureView) -> str:
    if item.reference_missing_rate is None or item.current_missing_rate is None:
        return "-"
    change = item.missing_change or 0.0
    arrow = f"{item.reference_missing_rate:.1%} &rarr; {item.current_missing_rate:.1%}"
    if abs(change) < 0.0005:
        return arrow
    return f"{arrow} <strong>({change * 100:+.1f} points)</strong>"


def _quality(issues: tuple[QualityIssue, ...]) -> str:
    if not issues:
        return '<h2 id="quality">Data quality</h2><p>No data-quality issue.</p>'
    rows = "".join(
        f"<tr><td>{escape(i.column)}</td><td>{escape(i.check)}</td><td>{_badge(i.severity)}</td>"
        f'<td class="num">{_number(i.value)}</td><td class="num">{_number(i.limit)}</td><td>{escape(i.message)}</td></tr>'
        for i in issues
    )
    return (
        '<h2 id="quality">Data quality</h2><table><thead><tr><th scope="col">column</th><th scope="col">check'
        '</th><th scope="col">severity</th><th scope="col">value</th><th scope="col">limit</th>'
        f'<th scope="col">finding</th></tr></thead><tbody>{rows}</tbody></table>'
    )


def _performance(view: ReportView, plotter: Plotter) -> str:
    performance = view.performance
    if performance is None:
        return (
            '<h2 id="performance">Performance</h2><p class="meta">not configured (add a performance section '
            "to the config to judge predictions against their baseline)</p>"
        )
    rows = "".join(
        f'<tr><td>{escape(v.metric)}</td><td>{escape(v.window)}</td><td class="num">{v.samples:,}</td>'
        f'<td class="num">{_number(v.value)}</td><td class="num">{_number(v.baseline)}</td>'
        f'<td class="num">{"-" if v.change is None else f"{v.change:+.1%}"}</td>'
        f'<td class="num">{_number(v.p_value)}</td><td>{_badge(v.severity)}</td><td>{escape(v.reason)}</td></tr>'
        for v in performance.metrics
    )
    plots = "".join(plotter.metric(metric) for metric in view.metrics)
    return (
        f'<h2 id="performance">Performance</h2><p>{_badge(performance.severity)} {performance.task}: '
        f"{performance.labelled:,} labelled predictions, {performance.unlabelled:,} awaiting ground truth; "
        f"{escape(performance.recommendation)}</p>"
        '<table><thead><tr><th scope="col">metric</th><th scope="col">window</th><th scope="col">n</th>'
        '<th scope="col">value</th><th scope="col">baseline</th><th scope="col">change</th>'
        '<th scope="col">p-value (one-sided)</th><th scope="col">severity</th><th scope="col">why</th></tr>'
        f"</thead><tbody>{rows}</tbody></table>{plots}"
    )


def _badge(severity: str) -> str:
    colour = SEVERITY_COLOURS.get(severity, "#525252")
    return f'<span class="badge" style="background:{colour}">{escape(severity)}</span>'


def _number(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "-"
    if value != 0 and abs(value) < 1e-3:
        return f"{value:.2e}"
    return f"{value:.4g}"
