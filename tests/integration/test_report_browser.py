"""The drift report as a person sees it: headless Chromium (the Debian package) opens the page.

Chromium runs with networking features off and an empty profile, driven over the DevTools
protocol (aiohttp's websocket client: no extra dependency). The test records every network
request, console message and uncaught exception while the page loads, takes a screenshot, and
asks the page itself about accessibility. It proves, on the drifted example and on the
performance example (whose page adds a metric's plot by window):

- the screenshot is not blank and shows the plots (pixels of the reference fill and of the
  current data's colour);
- every plot is an SVG that is laid out (non-zero size), labelled (``aria-label`` and ``<title>``),
  and there is one per compared feature and one per performance metric;
- no console error or warning, no exception, no request besides the page's own file;
- the page has a title and a language; every text element's colour against its background
  reaches WCAG AA contrast (4.5:1; 3:1 for large text).
"""

from __future__ import annotations

import asyncio
import base64
import io
import json
import shutil
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from modelmon import cli

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "examples" / "data"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
WIDTH, HEIGHT = 1100, 1600

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="needs chromium (Debian package; hack/setup.sh installs it)")

# Run in the page: every text-bearing element's contrast, the plots, the title.
AUDIT = r"""
(() => {
  const rgb = (text) => (text.match(/[\d.]+/g) || []).map(Number);
  const luminance = ([r, g, b]) => {
    const lin = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4); };
    return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
  };
  const background = (element) => {
    for (let node = element; node && node.nodeType === 1; node = node.parentElement) {
      const colour = rgb(getComputedStyle(node).backgroundColor);
      if (colour.length === 3 || (colour.length === 4 && colour[3] > 0.5)) return colour.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const failures = [];
  let checked = 0;
  for (const element of document.body.querySelectorAll("*")) {
    if (element.closest("svg")) continue;
    const own = [...element.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own) continue;
    const style = getComputedStyle(element);
    const [fg, bg] = [rgb(style.color).slice(0, 3), background(element)];
    const [l1, l2] = [luminance(fg), luminance(bg)].sort((a, b) => b - a);
    const ratio = (l1 + 0.05) / (l2 + 0.05);
    const large = parseFloat(style.fontSize) >= 24 || (parseFloat(style.fontSize) >= 18.66 && +style.fontWeight >= 700);
    checked += 1;
    if (ratio < (large ? 3 : 4.5)) failures.push(`${element.tagName} "${element.textContent.trim().slice(0, 40)}" ${ratio.toFixed(2)}`);
  }
  for (const text of document.querySelectorAll("svg text")) {  // the plots' text, on their white background
    const [l1, l2] = [1.0, luminance(rgb(getComputedStyle(text).fill))];
    checked += 1;
    if ((l1 + 0.05) / (l2 + 0.05) < 4.5) failures.push(`svg text "${text.textContent.slice(0, 40)}"`);
  }
  const plots = [...document.querySelectorAll("svg")].map((svg) => {
    const box = svg.getBoundingClientRect();
    return {role: svg.getAttribute("role"), label: svg.getAttribute("aria-label") || "",
            title: (svg.querySelector(":scope > title") || {}).textContent || "", width: box.width, height: box.height};
  });
  return JSON.stringify({title: document.title, lang: document.documentElement.lang, plots, checked, failures,
                         sections: document.querySelectorAll("section.feature").length,
                         images: [...document.images].filter((img) => !img.alt).length});
})()
"""


class DevTools:
    """The few DevTools protocol calls the test needs, over one websocket; events are kept in order."""

    def __init__(self, socket: aiohttp.ClientWebSocketResponse) -> None:
        self.socket, self.events, self._next = socket, [], 0
        self._waiting: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._reader = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        async for message in self.socket:
            data = json.loads(message.data)
            if "id" in data and data["id"] in self._waiting:
                self._waiting.pop(data["id"]).set_result(data)
            else:
                self.events.append(data)

    async def call(self, method: str, **params: Any) -> dict[str, Any]:
        self._next += 1
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiting[self._next] = future
        await self.socket.send_json({"id": self._next, "method": method, "params": params})
        answer = await asyncio.wait_for(future, timeout=30)
        assert "error" not in answer, answer
        return answer.get("result", {})

    async def wait_for(self, method: str, timeout: float = 30) -> dict[str, Any]:
        async def seen() -> dict[str, Any]:
            while True:
                for event in self.events:
                    if event.get("method") == method:
                        return event
                await asyncio.sleep(0.05)

        return await asyncio.wait_for(seen(), timeout)


@pytest.fixture
async def browser(tmp_path: Path) -> AsyncIterator[DevTools]:
    profile = tmp_path / "profile"
    process = subprocess.Popen(
        [
            str(CHROMIUM),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-extensions",
            "--disable-default-apps",
            "--mute-audio",
            f"--user-data-dir={profile}",
            "--remote-debugging-port=0",
            "--remote-debugging-address=127.0.0.1",
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        port_file = profile / "DevToolsActivePort"
        for _ in range(300):
            if port_file.exists() and len(port_file.read_text().splitlines()) >= 2:
                break
            await asyncio.sleep(0.1)
        port = int(port_file.read_text().splitlines()[0])
        async with aiohttp.ClientSession() as session:
            async with session.get(f"http://127.0.0.1:{port}/json/list") as answer:
                targets = await answer.json()
            page = next(t for t in targets if t["type"] == "page")
            async with session.ws_connect(page["webSocketDebuggerUrl"], max_msg_size=0) as socket:
                tools = DevTools(socket)
                yield tools
    finally:
        process.terminate()
        process.wait(timeout=30)


PERFORMANCE = ROOT / "examples" / "performance"
EXAMPLES = {
    # name: (arguments, feature sections, plots)
    "drifted": (["--reference", DATA / "reference.csv", "--current", DATA / "current-drifted.csv"], 9, 9),
    "performance": (
        [
            "--reference",
            PERFORMANCE / "reference.csv",
            "--current",
            PERFORMANCE / "predictions-decayed.csv",
            "--config",
            PERFORMANCE / "check-config.yml",
        ],
        2,
        3,
    ),
}


@pytest.mark.parametrize("example", list(EXAMPLES))
async def test_the_report_in_chromium(example: str, browser: DevTools, tmp_path: Path) -> None:
    from PIL import Image  # matplotlib's own dependency: there whenever the report is

    arguments, sections, plots = EXAMPLES[example]
    page = tmp_path / "report.html"
    assert cli.main(["report", *map(str, arguments), "--output", str(page)]) == 3  # both examples are critical
    for domain in ("Page", "Runtime", "Log", "Network"):
        await browser.call(f"{domain}.enable")
    await browser.call(
        "Emulation.setDeviceMetricsOverride", width=WIDTH, height=HEIGHT, deviceScaleFactor=1, mobile=False
    )
    await browser.call("Page.navigate", url=page.as_uri())
    await browser.wait_for("Page.loadEventFired")
    await asyncio.sleep(0.3)  # a late console message or request would still be recorded

    requests = [e["params"]["request"]["url"] for e in browser.events if e.get("method") == "Network.requestWillBeSent"]
    assert requests == [page.as_uri()], "the page fetched something besides itself"
    console = [
        e["params"]
        for e in browser.events
        if e.get("method") == "Runtime.consoleAPICalled" and e["params"]["type"] in ("error", "warning", "assert")
    ]
    logged = [
        e["params"]["entry"]
        for e in browser.events
        if e.get("method") == "Log.entryAdded" and e["params"]["entry"]["level"] in ("error", "warning")
    ]
    thrown = [e for e in browser.events if e.get("method") == "Runtime.exceptionThrown"]
    assert (console, logged, thrown) == ([], [], [])

    audit = json.loads(
        (await browser.call("Runtime.evaluate", expression=AUDIT, returnByValue=True))["result"]["value"]
    )
    assert audit["title"].startswith("Drift report") and audit["lang"] == "en"
    assert audit["images"] == 0  # no <img> without alt (there are none at all)
    assert (len(audit["plots"]), audit["sections"]) == (plots, sections)
    for plot in audit["plots"]:
        assert plot["role"] == "img" and plot["label"] and plot["title"] == plot["label"]
        assert plot["width"] > 300 and plot["height"] > 100, plot  # laid out, and not a sliver
    assert audit["checked"] > 100 and audit["failures"] == []

    shot = await browser.call("Page.captureScreenshot", format="png")
    (tmp_path / "report.png").write_bytes(base64.b64decode(shot["data"]))
    image = Image.open(io.BytesIO(base64.b64decode(shot["data"]))).convert("RGB")
    assert image.size == (WIDTH, HEIGHT)
    colours = image.getcolors(maxcolors=WIDTH * HEIGHT)
    assert colours is not None
    counted = {colour: count for count, colour in colours}
    white = counted.get((255, 255, 255), 0)
    assert white < 0.9 * WIDTH * HEIGHT and len(counted) > 50, "the screenshot is (nearly) blank"
    # the plots are drawn: the reference's fill and the current data's colour (plots.py), each on many pixels
    assert counted.get((0xA6, 0xC8, 0xE6), 0) > 2000, "no reference histogram in the screenshot"
    assert counted.get((0xC2, 0x41, 0x0C), 0) > 500, "no current data in the screenshot"


async def test_the_checks_see_what_they_look_for(browser: DevTools, tmp_path: Path) -> None:
    """The same probes on a bad page: a fetched image, a script's console error, grey-on-white text."""
    page = tmp_path / "bad.html"
    page.write_text(
        '<!DOCTYPE html><html><head><title>bad</title></head><body><p style="color:#bbbbbb">faint</p>'
        '<img src="http://127.0.0.1:9/x.png"><script>console.error("boom")</script></body></html>'
    )
    for domain in ("Page", "Runtime", "Log", "Network"):
        await browser.call(f"{domain}.enable")
    await browser.call("Page.navigate", url=page.as_uri())
    await browser.wait_for("Page.loadEventFired")
    await asyncio.sleep(0.3)
    requests = [e["params"]["request"]["url"] for e in browser.events if e.get("method") == "Network.requestWillBeSent"]
    assert "http://127.0.0.1:9/x.png" in requests
    assert any(e.get("method") == "Runtime.consoleAPICalled" and e["params"]["type"] == "error" for e in browser.events)
    audit = json.loads(
        (await browser.call("Runtime.evaluate", expression=AUDIT, returnByValue=True))["result"]["value"]
    )
    assert audit["images"] == 1 and any("faint" in f for f in audit["failures"])
