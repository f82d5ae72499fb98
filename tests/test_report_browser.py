"""The HTML report in a real browser: headless Chromium at phone and desktop widths, and printed.

Needs Debian's ``chromium`` (``apt-get install -y chromium``), axe-core from the npm
registry (``npm install --prefix .ci/node axe-core@4``, or set ``COPROD_AXE_JS`` to
``axe.min.js``) and ``pdftotext`` (Debian's ``poppler-utils``). Skipped when one is
missing, unless ``COPROD_REQUIRE_CHROMIUM`` is set (as CI does): then it fails.

Chromium is driven from its command line. For the measures, the test gives it a
copy of the report with axe-core and a small probe script added (and the report's
own Content-Security-Policy, which forbids every script, taken out); the probe
writes what it measured into the page, and ``--dump-dom`` brings it back.
"""

from __future__ import annotations

import html as html_lib
import json
import os
import re
import shutil
import subprocess
from collections.abc import Callable
from datetime import date
from functools import cache
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from coprod_connectors.report import ReportContext, render
from coprod_connectors.scoring import Results, score
from coprod_connectors.synthetic import demo_responses

pytestmark = pytest.mark.browser

ROOT = Path(__file__).parents[1]
WIDTHS = (320, 375, 1280)
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)
CONTEXT = ReportContext(
    organisation="Example Council",
    made_on=date(2026, 12, 1),
    sources=("made-up responses from coprod demo, seed 2026",),
)

# Runs once the page has loaded: measures, runs axe-core, writes the answers into the page.
PROBE = """
<script>
window.addEventListener('load', async () => {
  const out = {};
  const root = document.documentElement;
  out.innerWidth = window.innerWidth;
  out.clientWidth = root.clientWidth;
  out.scrollWidth = Math.max(root.scrollWidth, document.body.scrollWidth);
  out.small = [];
  out.chartTexts = 0;
  for (const el of document.querySelectorAll('.chart, .chart *')) {
    for (const node of el.childNodes) {
      if (node.nodeType !== Node.TEXT_NODE || !node.textContent.trim()) continue;
      out.chartTexts += 1;
      const size = parseFloat(getComputedStyle(el).fontSize);
      if (size < 12) out.small.push([node.textContent.trim().slice(0, 40), size]);
    }
  }
  out.overflowing = [];
  for (const el of document.body.querySelectorAll('*')) {
    if (el.closest('.scroll')) continue;
    const box = el.getBoundingClientRect();
    if (box.width && box.right > root.clientWidth + 0.5) {
      const name = el.tagName.toLowerCase() + '.' + el.className;
      out.overflowing.push(name + ' ' + Math.round(box.right));
    }
  }
  out.regions = [];
  for (const el of document.querySelectorAll('.scroll')) {
    const labels = (el.getAttribute('aria-labelledby') || '').split(' ').filter(Boolean);
    out.regions.push({
      role: el.getAttribute('role'),
      tabindex: el.getAttribute('tabindex'),
      labelled: labels.length > 0 && labels.every(id => document.getElementById(id)),
    });
  }
  try {
    const result = await axe.run(document, {resultTypes: ['violations']});
    out.violations = result.violations.map(v => ({
      id: v.id, impact: v.impact, nodes: v.nodes.length,
      targets: v.nodes.slice(0, 3).map(n => n.target.join(' ')),
    }));
  } catch (error) {
    out.axeError = String(error);
  }
  // the report runs in a frame of the width under test; the answer goes to the page around it
  const host = window.parent.document;
  const pre = host.createElement('pre');
  pre.id = 'probe';
  pre.textContent = JSON.stringify(out);
  host.body.appendChild(pre);
});
</script>
"""


def need(binary: str, hint: str) -> str:
    found = shutil.which(binary)
    if found is None:
        if os.environ.get("COPROD_REQUIRE_CHROMIUM"):
            pytest.fail(f"COPROD_REQUIRE_CHROMIUM is set but {binary} is not installed ({hint})")
        pytest.skip(f"{binary} is not installed ({hint})")
    return found


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        return need("chromium", "apt-get install -y chromium")
    return found


def axe_js() -> str:
    path = Path(os.environ.get("COPROD_AXE_JS", ROOT / ".ci/node/node_modules/axe-core/axe.min.js"))
    if not path.is_file():
        if os.environ.get("COPROD_REQUIRE_CHROMIUM"):
            pytest.fail(f"COPROD_REQUIRE_CHROMIUM is set but axe-core is not at {path}")
        pytest.skip(f"axe-core is not installed (npm install --prefix .ci/node axe-core@4); {path}")
    return path.read_text(encoding="utf-8")


def run_chromium(binary: str, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [binary, *FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


#: responses the scorer did not know, as a store may hold them (a long id with no space)
UNSCORED = {"checklist 9.0.0": 2, "community-engagement-pulse-survey-extended-edition 2.10.0": 1}


@cache
def report_html(lang: str = "en") -> str:
    results = score(demo_responses()).model_copy(update={"unscored": UNSCORED})
    return render(results, "html", lang=lang, context=CONTEXT)


def probed(html: str, axe: str) -> str:
    """The report with axe-core and the probe added, and its no-scripts policy taken out."""
    html, removed = re.subn(r'<meta http-equiv="Content-Security-Policy"[^>]*>\n?', "", html)
    assert removed == 1
    script = "<script>" + axe.replace("</script", "<\\/script") + "</script>"
    return html.replace("</body>", script + PROBE + "</body>")


def measure(binary: str, tmp_path: Path, html: str, width: int) -> dict[str, Any]:
    """What the probe measured with the report ``width`` CSS pixels wide.

    Headless Chromium's window is at least 500 pixels wide, so the report is shown
    in a frame (``srcdoc``: same origin, so the probe can answer) of the width under test.
    """
    page = tmp_path / f"probe-{width}.html"
    frame = html_lib.escape(html, quote=True)
    page.write_text(
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>probe</title>'
        "<style>body { margin: 0 } iframe { border: 0; display: block }</style></head><body>"
        f'<iframe title="report" width="{width}" height="900" srcdoc="{frame}"></iframe>'
        "</body></html>",
        encoding="utf-8",
    )
    done = run_chromium(
        binary,
        tmp_path / f"profile-{width}",
        f"--window-size={max(width, 500) + 40},1000",
        "--virtual-time-budget=60000",
        "--dump-dom",
        page.as_uri(),
    )
    assert done.returncode == 0, done.stderr[-2000:]
    found = re.search(r'<pre id="probe">(.*?)</pre>', done.stdout, re.DOTALL)
    assert found, "the probe did not report; stderr: " + done.stderr[-2000:]
    data: dict[str, Any] = json.loads(html_lib.unescape(found.group(1)))
    return data


class _Headers(HTMLParser):
    """The text of every printed table's column headers (analyst details are folded away)."""

    def __init__(self) -> None:
        super().__init__()
        self.headers: list[str] = []
        self._in: list[str] | None = None
        self._thead = False
        self._details = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "details":
            self._details += 1
        elif tag == "thead" and not self._details:
            self._thead = True
        elif tag == "th" and self._thead:
            self._in = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "details":
            self._details -= 1
        elif tag == "thead":
            self._thead = False
        elif tag == "th" and self._in is not None:
            self.headers.append(" ".join("".join(self._in).split()))
            self._in = None

    def handle_data(self, data: str) -> None:
        if self._in is not None:
            self._in.append(data)


@pytest.mark.parametrize("lang", ["en", "cy"])
def test_report_reflows_and_passes_axe_at_every_width(tmp_path: Path, lang: str) -> None:
    binary = chromium()
    html = probed(report_html(lang), axe_js())
    for width in WIDTHS:
        data = measure(binary, tmp_path, html, width)
        assert data["innerWidth"] == width, data["innerWidth"]
        assert "axeError" not in data, data.get("axeError")
        # no page-level horizontal scrolling: only inside labelled, focusable scroll regions
        assert data["scrollWidth"] <= data["clientWidth"], (width, data["overflowing"][:10])
        assert data["overflowing"] == [], (width, data["overflowing"][:10])
        assert data["regions"], "the tables sit in scroll regions"
        for region in data["regions"]:
            assert region == {"role": "region", "tabindex": "0", "labelled": True}
        # charts are text, never below 12px
        assert data["chartTexts"] > 100, data["chartTexts"]
        assert data["small"] == [], (width, data["small"][:10])
        assert data["violations"] == [], (width, data["violations"])


@pytest.mark.parametrize("lang", ["en", "cy"])
def test_the_line_after_the_shown_actions_reflows_and_passes_axe(
    tmp_path: Path, lang: str, with_actions: Callable[[int], Results]
) -> None:
    from dataclasses import replace

    from markupsafe import escape

    from coprod_connectors.report.view import SHOWN_ACTIONS, all_actions_command

    # a long store path with spaces and quotes: the command must still reflow at 320 px
    store = "/srv/shared folders/co-production/\u2019s 'reports' and \"data\"/coprod.db"
    command = ("report", "--store", store, "--subject", "Northfield adult social care")
    context = replace(CONTEXT, command=command)
    html = render(with_actions(SHOWN_ACTIONS + 23_410), "html", lang=lang, context=context)
    assert str(escape(all_actions_command(command, lang=lang))) in html
    data = measure(chromium(), tmp_path, probed(html, axe_js()), WIDTHS[0])
    assert "axeError" not in data, data.get("axeError")
    assert data["scrollWidth"] <= data["clientWidth"], data["overflowing"][:10]
    assert data["overflowing"] == [], data["overflowing"][:10]
    assert data["small"] == [], data["small"][:10]
    assert data["violations"] == [], data["violations"]


def test_printed_report_keeps_every_column(tmp_path: Path) -> None:
    binary = chromium()
    pdftotext = need("pdftotext", "apt-get install -y poppler-utils")
    html = report_html()
    page = tmp_path / "report.html"
    page.write_text(html, encoding="utf-8")
    pdf = tmp_path / "report.pdf"
    done = run_chromium(
        binary,
        tmp_path / "profile-print",
        f"--print-to-pdf={pdf}",
        "--no-pdf-header-footer",
        page.as_uri(),
    )
    assert pdf.is_file(), done.stderr[-2000:]
    assert pdf.read_bytes()[:5] == b"%PDF-"

    words = subprocess.run(
        [pdftotext, "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    pages = re.findall(r'<page width="([\d.]+)" height="([\d.]+)">', words)
    assert len(pages) > 10
    width = float(pages[0][0])
    boxes = re.findall(r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)"', words)
    assert boxes
    clipped = [(a, b) for a, b in boxes if float(b) > width + 0.5 or float(a) < -0.5]
    assert clipped == [], f"{len(clipped)} words run off the page"

    text = subprocess.run(
        [pdftotext, "-raw", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    flat = " ".join(text.split())
    headers = _Headers()
    headers.feed(html)
    assert {"Red", "Amber", "Green", "Not answered", "Rating contradicts stage"} <= set(
        headers.headers
    )
    missing = sorted({h for h in headers.headers if h and h not in flat})
    assert missing == [], missing
    # the cover: organisation, date and where the data came from, on the first page
    first = text.split("\f")[0]
    for fact in ("Example Council", "1 December 2026", "made-up responses from coprod demo"):
        assert fact in " ".join(first.split())
    # the summary is one page: every subject on page 2, the first subject's section on page 3
    pages_text = [" ".join(page.split()) for page in text.split("\f")]
    assert "Summary For each subject" in pages_text[1]
    for subject in ("Northfield adult social care", "Oak Lane Supported Living", "Riverside"):
        assert subject in pages_text[1]
    assert "Rounds: 2026-H1, 2026-H2. The details below" in pages_text[2]
