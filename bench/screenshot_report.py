"""Writes the HTML review of sample_notes/ and renders it with headless Chromium (a browser check).

    python bench/screenshot_report.py                          # -> bench/results/review.html + review.png
    python bench/screenshot_report.py --out /tmp/x --pdf       # also print it to PDF (print stylesheet)
    python bench/screenshot_report.py --fragment n4            # screenshot scrolled to note 4

Chromium is looked up as $DOCANALYZER_CHROMIUM, then chromium, chromium-browser, google-chrome on
PATH. It runs with networking, sync and updates off and a throw-away profile; the page itself has a
Content-Security-Policy that forbids every network request. Exit status: 0 rendered, 2 no
Chromium found, 1 Chromium failed.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
EXIT_NO_BROWSER = 2


def find_chromium() -> str | None:
    explicit = os.environ.get("DOCANALYZER_CHROMIUM")
    if explicit:
        return explicit if Path(explicit).is_file() else None
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").is_file() else None


def write_review(notes: Path, target: Path, *, billed_code: str | None = None) -> int:
    """Analyze every note under ``notes`` and write the HTML review; returns the number of notes."""
    from docanalyzer.analyzer import Analyzer
    from docanalyzer.inputs import iter_inputs
    from docanalyzer.output.atomic import atomic_writer
    from docanalyzer.output.html import HtmlReport

    analyzer = Analyzer()
    with contextlib.suppress(ValueError):  # shorter document ids: relative to the working folder
        notes = notes.resolve().relative_to(Path.cwd())
    items = list(iter_inputs([str(notes)]))
    reports = analyzer.analyze_many(items, billed_code=billed_code)
    with atomic_writer(target) as handle, HtmlReport(
        handle, query_threshold=analyzer.checklist.verdicts.query_threshold
    ) as review:
        for item, report in zip(items, reports, strict=True):
            review.add(report, item.text)
    return len(items)


def chromium_command(browser: str, profile: str, page: Path, *, png: Path | None = None, pdf: Path | None = None,
                     window: str = "1280,2000", fragment: str | None = None) -> list[str]:
    command = [
        browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-default-apps",
        "--disable-extensions", "--hide-scrollbars", f"--user-data-dir={profile}", f"--window-size={window}",
    ]
    if png is not None:
        command.append(f"--screenshot={png}")
    if pdf is not None:
        command += [f"--print-to-pdf={pdf}", "--no-pdf-header-footer"]
    url = page.resolve().as_uri() + (f"#{fragment}" if fragment else "")
    return [*command, url]


def render(browser: str, page: Path, *, png: Path | None = None, pdf: Path | None = None,
           window: str = "1280,2000", fragment: str | None = None, timeout: float = 120) -> None:
    with tempfile.TemporaryDirectory(prefix="docanalyzer-chromium-") as profile:
        command = chromium_command(browser, profile, page, png=png, pdf=pdf, window=window, fragment=fragment)
        subprocess.run(command, check=True, timeout=timeout, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notes", type=Path, default=REPO / "sample_notes", help="folder of notes")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results", help="output folder")
    parser.add_argument("--window-size", default="1280,2000", help="browser window, WIDTH,HEIGHT")
    parser.add_argument("--fragment", default=None, help="scroll to this anchor, e.g. n4 (note 4)")
    parser.add_argument("--billed-code", default=None, help="billed code for every note (shows code findings)")
    parser.add_argument("--pdf", action="store_true", help="also print the page to review.pdf")
    args = parser.parse_args(argv)

    browser = find_chromium()
    args.out.mkdir(parents=True, exist_ok=True)
    page = args.out / "review.html"
    count = write_review(args.notes, page, billed_code=args.billed_code)
    print(f"wrote {page} ({count} notes)")
    if browser is None:
        print("no Chromium found (set DOCANALYZER_CHROMIUM or install chromium)", file=sys.stderr)
        return EXIT_NO_BROWSER
    png = args.out / "review.png"
    try:
        render(browser, page, png=png, window=args.window_size, fragment=args.fragment)
        if args.pdf:
            render(browser, page, pdf=args.out / "review.pdf")
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
        print(f"chromium failed: {type(exc).__name__}", file=sys.stderr)
        return 1
    print(f"wrote {png}" + (f" and {args.out / 'review.pdf'}" if args.pdf else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
