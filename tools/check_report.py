"""Render a report.html in headless Chromium with no network, screenshot it, and check its figures loaded.

Usage: python tools/check_report.py REPORT.html [SCREENSHOT.png] [--min-figures N]

Exit 0 when the page loaded and at least N figures decoded (read from the page's
data-figures-loaded attribute after load), 1 otherwise, 2 when no Chromium is installed
(`make check-report` installs Debian's chromium first).
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>"]  # any network request fails


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


def render(report: Path, screenshot: Path | None, width: int = 1280, height: int = 2400) -> int:
    """Number of figures the browser decoded (-1 if the page did not load)."""
    exe = chromium()
    if exe is None:
        raise FileNotFoundError("no chromium on PATH")
    url = report.resolve().as_uri()
    with tempfile.TemporaryDirectory() as profile:
        base = [exe, *FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}"]
        if screenshot is not None:
            subprocess.run([*base, f"--screenshot={screenshot}", url], capture_output=True, timeout=120, check=False)
        dom = subprocess.run([*base, "--virtual-time-budget=10000", "--dump-dom", url], capture_output=True,
                             text=True, timeout=120, check=False).stdout
    m = re.search(r'data-figures-loaded="(\d+)"', dom)
    return int(m.group(1)) if m else -1


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("report", type=Path)
    ap.add_argument("screenshot", type=Path, nargs="?")
    ap.add_argument("--min-figures", type=int, default=3)
    a = ap.parse_args(argv)
    if chromium() is None:
        print("no chromium installed (make check-report installs it)", file=sys.stderr)
        return 2
    n = render(a.report, a.screenshot)
    ok = n >= a.min_figures and (a.screenshot is None or (a.screenshot.is_file() and a.screenshot.stat().st_size > 10000))
    print(f"{a.report}: {'loaded' if n >= 0 else 'did not load'}, {max(n, 0)} figures decoded"
          + (f", screenshot {a.screenshot}" if a.screenshot else ""))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
