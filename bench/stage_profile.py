"""Where the time goes: the analysis of myelography notes, stage by stage, in one process.

    python bench/stage_profile.py                      # prints the table
    python bench/stage_profile.py --write docs/performance.md

Each stage of ``Analyzer.analyze`` is run by hand, in the analyzer's own order, and timed with
``time.perf_counter`` (warm: one pass first, then the measured passes); the report stage is broken
down with cProfile's cumulative times of its parts. Notes: the annotated myelography notes of
eval/ (corpus, dev, heldout) and sample_notes/, read as text only (nothing of them is printed).
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FOLDERS = ("eval/corpus", "eval/dev", "eval/heldout", "sample_notes")
# Parts of the report stage, as (label, module path suffix, function name) for cProfile's table.
REPORT_PARTS = (
    ("procedure decision (resolve.procedure.assess)", "resolve/procedure.py", "assess"),
    ("elements (resolve.elements.resolve_elements)", "resolve/elements.py", "resolve_elements"),
    ("findings (resolve.findings.resolve_findings)", "resolve/findings.py", "resolve_findings"),
    ("code review (coding.billed.review_codes)", "coding/billed.py", "review_codes"),
    ("physician queries (assemble.draft_queries)", "assemble.py", "draft_queries"),
)


def myelography_notes() -> list[str]:
    return [path.read_text(encoding="utf-8") for folder in FOLDERS for path in sorted((REPO / folder).glob("*.txt"))]


def stage_times(texts: list[str], passes: int) -> tuple[dict[str, float], dict[str, float], pstats.Stats]:
    """Seconds per stage over ``passes`` warm runs of every note, over the first run (every note seen
    for the first time: spaCy's vocabulary and tokenizer cache still to fill, each pattern's gate and
    starter read when first needed), and cProfile stats of the report stage."""
    from throughput import STARTUP_NOTE  # (bench/, beside this script)

    from docanalyzer.analyzer import Analyzer
    from docanalyzer.assemble import build_report
    from docanalyzer.expansion import expand
    from docanalyzer.normalize import normalize
    from docanalyzer.pipeline.fast_matching import TEXT_KEY
    from docanalyzer.pipeline.sentences import set_line_sentences, start_sentences_at_sections
    from docanalyzer.report import InputInfo
    from docanalyzer.resolve.mentions import build_view
    from docanalyzer.short_reports import screened_report

    analyzer = Analyzer()
    analyzer.analyze(STARTUP_NOTE)  # (what throughput.py counts as start-up)
    component = analyzer.component
    totals: dict[str, float] = defaultdict(float)
    first: dict[str, float] = {}
    profiler = cProfile.Profile()

    def timed(stage: str, fn, *args):
        start = time.perf_counter()
        result = fn(*args)
        totals[stage] += time.perf_counter() - start
        return result

    def report_of(view, text: str) -> None:
        build_report(view, None, document_id="x", billed_code=None, input_info=InputInfo(chars=len(text)))

    def one_note(text: str, profile: bool) -> None:
        expanded, _ = timed("expand + normalize", expand, text)
        normalized = timed("expand + normalize", normalize, expanded)
        if not timed("screening", component.rules.screening.search, normalized):
            timed("short report (screened out)", screened_report, "x", analyzer.checklist, InputInfo(chars=len(text)))
            return
        doc = timed("tokenizer (spaCy)", analyzer.nlp.make_doc, normalized)
        doc.user_data[TEXT_KEY] = normalized
        timed("sentences", set_line_sentences, doc)
        timed("sections", component.sectionizer, doc)
        timed("sections", start_sentences_at_sections, doc)
        timed("target matcher", component.target_matcher, doc)
        timed("ConText", component.context, doc)
        view = timed("note view (resolve.mentions.build_view)", build_view, doc, text)
        timed("report (assemble.build_report)", report_of, view, text)
        if profile:  # the report stage once more, under the profiler (not timed)
            profiler.enable()
            report_of(view, text)
            profiler.disable()

    for run in range(passes + 1):
        if run == 1:
            first = dict(totals)  # the first pass warms caches up
            totals.clear()
        for text in texts:
            one_note(text, run == passes)
    return dict(totals), first, pstats.Stats(profiler)


def report_breakdown(stats: pstats.Stats) -> dict[str, float]:
    """Cumulative seconds of the report stage's parts (cProfile, so slightly inflated)."""
    out: dict[str, float] = {}
    for (filename, _line, name), (_cc, _nc, _tt, cumulative, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        for label, suffix, function in REPORT_PARTS:
            if name == function and filename.replace("\\", "/").endswith(suffix):
                out[label] = out.get(label, 0.0) + cumulative
    return out


def table(totals: dict[str, float], notes: int, first: dict[str, float], first_notes: int) -> list[str]:
    whole = sum(totals.values())
    rows = ["| stage | ms per note | share | first pass, ms per note |", "|---|---:|---:|---:|"]
    for stage, seconds in sorted(totals.items(), key=lambda item: -item[1]):
        rows.append(f"| {stage} | {1000 * seconds / notes:.2f} | {100 * seconds / whole:.0f}% | "
                    f"{1000 * first.get(stage, 0.0) / first_notes:.2f} |")
    rows.append(f"| **all stages** | **{1000 * whole / notes:.2f}** | 100% | "
                f"**{1000 * sum(first.values()) / first_notes:.2f}** |")
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument("--write", type=Path, default=None, help="Replace the profile section of this file.")
    parser.add_argument("--mtsamples", type=int, default=None, metavar="N",
                        help="Profile N evenly spaced MTSamples notes (bench/throughput.py --sample N) instead; "
                             "most are screened out. Printed only (--write keeps the myelography table).")
    args = parser.parse_args()
    if args.mtsamples:
        from throughput import load_mtsamples

        texts = load_mtsamples(args.mtsamples)
        corpus = f"MTSamples notes: {len(texts)} evenly spaced (bench/throughput.py --sample {args.mtsamples})"
    else:
        texts = myelography_notes()
        corpus = f"Myelography notes: {len(texts)} (eval/corpus, eval/dev, eval/heldout, sample_notes)"
    totals, first, stats = stage_times(texts, args.passes)
    notes = len(texts) * args.passes
    profiled = len(texts)
    rows = [f"{corpus}, "
            f"{args.passes} warm passes, one process, after the start-up note; the last column is the first "
            "pass (each note seen once: the tokenizer's cache and spaCy's vocabulary fill, each pattern's "
            "gate and starter are read when first needed).", "", *table(totals, notes, first, len(texts))]
    parts = report_breakdown(stats)
    if parts:
        rows += ["", "Inside the report stage (cProfile, cumulative; includes profiling overhead):", "",
                 "| part | ms per note |", "|---|---:|"]
        rows += [f"| {label} | {1000 * seconds / profiled:.2f} |" for label, seconds in
                 sorted(parts.items(), key=lambda item: -item[1])]
    text = "\n".join(rows)
    print(text)
    if args.write and not args.mtsamples:
        write_section(args.write, text)
    return 0


BEGIN, END = "<!-- profile:begin -->", "<!-- profile:end -->"


def write_section(path: Path, body: str) -> None:
    """Put ``body`` between the profile markers of ``path`` (kept elsewhere as written by hand)."""
    current = path.read_text(encoding="utf-8") if path.exists() else f"{BEGIN}\n{END}\n"
    head, _, rest = current.partition(BEGIN)
    _, _, tail = rest.partition(END)
    path.write_text(f"{head}{BEGIN}\n{body}\n{END}{tail}", encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
