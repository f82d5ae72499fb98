"""The HTML report in a real browser: headless Chromium renders charts and tables, no errors.

Needs Debian's ``chromium`` (``apt-get install -y chromium``); skipped when it is not installed.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from coprod_connectors.report import render
from coprod_connectors.scoring import score
from coprod_connectors.synthetic import demo_responses

pytestmark = pytest.mark.browser

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("COPROD_REQUIRE_CHROMIUM"):
            pytest.fail("COPROD_REQUIRE_CHROMIUM is set but chromium is not installed")
        pytest.skip("headless Chromium is not installed (apt-get install -y chromium)")
    return found


def run_chromium(binary: str, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [binary, *FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


class _Counter(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.counts: dict[str, int] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.counts[tag] = self.counts.get(tag, 0) + 1


def test_report_renders_in_chromium(tmp_path: Path) -> None:
    binary = chromium()
    page = tmp_path / "report.html"
    page.write_text(render(score(demo_responses()), "html"), encoding="utf-8")
    url = page.as_uri()

    shot = tmp_path / "report.png"
    done = run_chromium(
        binary, tmp_path / "profile-shot", f"--screenshot={shot}", "--window-size=1280,4000", url
    )
    assert shot.is_file(), done.stderr[-2000:]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert shot.stat().st_size > 20_000  # a blank page is a few kilobytes

    dumped = run_chromium(
        binary,
        tmp_path / "profile-dom",
        "--dump-dom",
        "--enable-logging=stderr",
        "--v=0",
        url,
    )
    assert dumped.returncode == 0, dumped.stderr[-2000:]
    counter = _Counter()
    counter.feed(dumped.stdout)
    assert counter.counts.get("svg", 0) >= 9
    assert counter.counts.get("table", 0) >= 9
    assert counter.counts.get("rect", 0) > 50
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in dumped.stdout
    console = [
        line
        for line in dumped.stderr.splitlines()
        if re.search(r"CONSOLE|Uncaught|Refused to", line)
    ]
    assert console == []
