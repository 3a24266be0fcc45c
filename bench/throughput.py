"""Throughput benchmark: docanalyzer vs stock medspaCy vs spaCy's blank tokenizer, same notes, one run.

    python bench/throughput.py                 # full run (about 10 minutes: the baseline is slow)
    python bench/throughput.py --sample 400    # quicker: every phase on the same 400 MTSamples notes
    python bench/throughput.py --repeat 3      # each phase three times, the fastest kept (steadier)

Phases, each in its own child process so that its peak RSS is its own:
  a) baseline: medspacy.load() with PyRuSH, TargetMatcher loaded with docanalyzer's target rules,
     ConText and Sectionizer (medspaCy's default rules for those two);
  b) docanalyzer: full analysis, Report objects built (and, for reference, with --no-screen);
  c) ceiling: spaCy's blank English tokenizer alone.
Also: docanalyzer with 2 worker processes, growth with note length (1 kB .. 1 MB) and corpus size,
and a check that screening changes no answer (procedure status, verdict, codes).

Also: start-up (a whole process analysing one tiny note: import, pipeline build, one note), for
docanalyzer and the baseline. Each phase's time is its whole process's with start-up subtracted: it
builds its pipeline and analyses that same tiny note on it before the clock starts, so what is
subtracted is exactly what start-up measures, alike for every pipeline (until 2026-12-03 the warm-up
ran five of the notes on a second pipeline, and the timed one started cold).

Corpora: ../shared/corpora/mtsamples/mtsamples.jsonl (MTSamples, www.mtsamples.com; --sample N takes N
notes evenly spaced) and the annotated myelography notes of eval/ (corpus, dev, heldout, coding) plus
sample_notes/. Results: bench/results/throughput.json.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MTSAMPLES = REPO.parent / "shared" / "corpora" / "mtsamples" / "mtsamples.jsonl"


def load_mtsamples(limit: int | None) -> list[str]:
    """All MTSamples notes, or ``limit`` of them evenly spaced (every specialty, not the first few)."""
    with MTSAMPLES.open(encoding="utf-8") as handle:
        texts = [json.loads(line)["transcription"] for line in handle if line.strip()]
    if not limit or limit >= len(texts):
        return texts
    return [texts[index * len(texts) // limit] for index in range(limit)]


MYELOGRAPHY_FOLDERS = ("eval/corpus", "eval/dev", "eval/heldout", "eval/coding", "sample_notes")


def load_myelography() -> list[str]:
    """The annotated myelography notes (written in many styles, most outside the rules' authors' sight),
    read as text only."""
    files = [f for folder in MYELOGRAPHY_FOLDERS for f in sorted((REPO / folder).glob("*.txt"))]
    return [f.read_text(encoding="utf-8") for f in files]


STARTUP_NOTE = "LUMBAR MYELOGRAM. L2-3 puncture under fluoroscopy, 15 mL Omnipaque 180. Impression: mild stenosis."


# --- phases (run in child processes) ---------------------------------------------------------
# Each phase builds its pipeline and returns (warm-up, run): the warm-up analyses the start-up note
# on that same pipeline, so a phase's time is the whole process's minus exactly what ``startup()``
# measures (import, build, one tiny note), for every pipeline alike.

Phase = tuple[Callable[[], None], Callable[[list[str]], None]]


def _baseline() -> Phase:
    import medspacy
    from loguru import logger
    from medspacy.target_matcher import TargetRule

    from docanalyzer.rule_files import load_rules

    logger.remove()  # PyRuSH logs every token at DEBUG
    nlp = medspacy.load(medspacy_enable=["medspacy_tokenizer", "medspacy_pyrush", "medspacy_target_matcher",
                                         "medspacy_context", "medspacy_sectionizer"])
    rules = load_rules(nlp.vocab)
    nlp.get_pipe("medspacy_target_matcher").add(
        [TargetRule(r.literal, r.category, pattern=r.pattern) for r in rules.targets])

    def run(texts: list[str]) -> None:
        for doc in nlp.pipe(texts):
            _ = doc.ents
    return (lambda: run([STARTUP_NOTE])), run


def _docanalyzer(screen: bool = True, workers: int = 1) -> Phase:
    from docanalyzer import Analyzer

    analyzer = Analyzer(screen=screen)

    def run(texts: list[str]) -> None:
        for report in analyzer.analyze_many(texts, n_process=workers):
            _ = report.verdict

    def warm_up() -> None:  # (in this process, also with workers: they are forked from it in the run)
        analyzer.analyze(STARTUP_NOTE)
    return warm_up, run


def _ceiling() -> Phase:
    import spacy

    nlp = spacy.blank("en")

    def run(texts: list[str]) -> None:
        for doc in nlp.tokenizer.pipe(texts):
            _ = len(doc)
    return (lambda: run([STARTUP_NOTE])), run


PHASES = {"baseline": _baseline, "docanalyzer": _docanalyzer, "ceiling": _ceiling}


def _child(name: str, texts: list[str], kwargs: dict, queue: mp.Queue) -> None:
    warm_up, run = PHASES[name](**kwargs)
    warm_up()  # the start-up note, on the pipeline that is timed (lazy imports, first-use work)
    before = os.times()
    start = time.perf_counter()
    run(texts)
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    queue.put({"seconds": seconds, "peak_rss_mb": round(peak_mb, 1), "cpu_seconds": _cpu_since(before)})


def _cpu_since(before: os.times_result) -> float:
    """CPU seconds of this process and of its ended children (the workers) since ``before``: unlike the
    wall time, barely moved by another program taking a core of this shared machine."""
    now = os.times()
    return (now.user - before.user + now.system - before.system + now.children_user - before.children_user
            + now.children_system - before.children_system)


REPEAT = 1  # (set by --repeat: each phase runs that many times, in fresh processes, and the fastest counts)


def measure(name: str, texts: list[str], **kwargs) -> dict:
    """One phase in its own process, REPEAT times: the fastest run (this shared machine's speed drifts,
    and a drift only ever makes a run slower), with the highest peak RSS."""
    runs = [_measure_once(name, texts, kwargs) for _ in range(REPEAT)]
    result = {"seconds": min(r["seconds"] for r in runs), "peak_rss_mb": max(r["peak_rss_mb"] for r in runs),
              "cpu_seconds": round(min(r["cpu_seconds"] for r in runs), 2)}
    chars = sum(len(t) for t in texts)
    result.update(notes=len(texts), notes_per_s=round(len(texts) / result["seconds"], 1),
                  kb_per_s=round(chars / 1024 / result["seconds"], 1), seconds=round(result["seconds"], 2))
    return result


def _measure_once(name: str, texts: list[str], kwargs: dict) -> dict:
    context = mp.get_context("fork")
    queue = context.Queue()
    process = context.Process(target=_child, args=(name, texts, kwargs, queue))
    process.start()
    result = queue.get()
    process.join()
    return result


def same_answers(texts: list[str]) -> dict:
    """Screening must not change any answer that the screened report states."""
    from docanalyzer import Analyzer

    fast, full = Analyzer(screen=True), Analyzer(screen=False)
    differ = 0
    screened = 0
    for index, text in enumerate(texts):
        a, b = fast.analyze(text, document_id=str(index)), full.analyze(text, document_id=str(index))
        screened += a.screened_out
        if (a.procedure_status, [c.code for c in a.code_review.suggested_codes]) != (
                b.procedure_status, [c.code for c in b.code_review.suggested_codes]) or (
                not a.screened_out and a.model_dump() != b.model_dump()):
            differ += 1
    return {"notes": len(texts), "screened_out": screened, "answers_differing": differ}


STARTUP_CODE = {
    "docanalyzer": "from docanalyzer import Analyzer; Analyzer().analyze({note!r})",
    "baseline": ("import medspacy; from loguru import logger; logger.remove(); "
                 "nlp = medspacy.load(medspacy_enable=['medspacy_tokenizer', 'medspacy_pyrush', "
                 "'medspacy_target_matcher', 'medspacy_context', 'medspacy_sectionizer']); nlp({note!r})"),
}


def startup(repeats: int = 3) -> dict:
    """Seconds for a whole process to start, build its pipeline and analyse one tiny note (best of
    ``repeats``): what a command-line run or a new worker pays before its first note."""
    out = {}
    for name, code in STARTUP_CODE.items():
        best = min(_wall([sys.executable, "-c", code.format(note=STARTUP_NOTE)]) for _ in range(repeats))
        out[name] = round(best, 2)
    out["ratio"] = round(out["docanalyzer"] / out["baseline"], 2)
    return out


def _wall(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def length_scaling() -> list[dict]:
    from docanalyzer import Analyzer

    analyzer = Analyzer()
    unit = (REPO / "sample_notes" / "01_complete_lumbar_myelogram.txt").read_text(encoding="utf-8")
    rows = []
    for target in (1_000, 10_000, 100_000, 1_000_000):
        text = (unit * (target // len(unit) + 1))[:target]
        start = time.perf_counter()
        report = analyzer.analyze(text)
        seconds = time.perf_counter() - start
        rows.append({"chars": target, "seconds": round(seconds, 3),
                     "us_per_char": round(seconds / target * 1e6, 2), "errors": len(report.errors)})
    return rows


def corpus_scaling(texts: list[str]) -> list[dict]:
    rows = []
    for size in (250, 500, 1000, 2000):
        if size > len(texts):
            break
        rows.append({"notes": size, **{k: v for k, v in measure("docanalyzer", texts[:size]).items()
                                       if k in ("seconds", "notes_per_s", "peak_rss_mb")}})
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=int, default=None, help="Use only the first N MTSamples notes.")
    parser.add_argument("--output", type=Path, default=REPO / "bench" / "results" / "throughput.json")
    parser.add_argument("--repeat", type=int, default=1,
                        help="Run each phase N times (fresh processes) and keep the fastest: steadier ratios.")
    args = parser.parse_args()
    global REPEAT
    REPEAT = max(1, args.repeat)
    if not MTSAMPLES.exists():
        print(f"skipped: {MTSAMPLES} not found (the MTSamples corpus sits beside the checkout)", file=sys.stderr)
        return 0
    mts = load_mtsamples(args.sample)
    myelo = load_myelography()
    results: dict = {"corpora": {}}
    for label, texts in (("mtsamples", mts), ("myelography", myelo)):
        row = {
            "baseline": measure("baseline", texts),
            "docanalyzer": measure("docanalyzer", texts),
            "docanalyzer_no_screen": measure("docanalyzer", texts, screen=False),
            "ceiling": measure("ceiling", texts),
        }
        row["ratio_vs_baseline"] = round(row["docanalyzer"]["notes_per_s"] / row["baseline"]["notes_per_s"], 2)
        row["ratio_vs_ceiling"] = round(row["docanalyzer"]["notes_per_s"] / row["ceiling"]["notes_per_s"], 2)
        row["no_screen_ratio_vs_baseline"] = round(
            row["docanalyzer_no_screen"]["notes_per_s"] / row["baseline"]["notes_per_s"], 2)
        results["corpora"][label] = row
        print(f"\n{label} ({len(texts)} notes)")
        for phase in ("baseline", "docanalyzer", "docanalyzer_no_screen", "ceiling"):
            r = row[phase]
            print(f"  {phase:<22} {r['notes_per_s']:>8} notes/s {r['kb_per_s']:>9} kB/s"
                  f"  peak RSS {r['peak_rss_mb']} MB")
        print(f"  docanalyzer / baseline = {row['ratio_vs_baseline']}x   docanalyzer / ceiling = "
              f"{row['ratio_vs_ceiling']}x   (no screening: {row['no_screen_ratio_vs_baseline']}x baseline)")
    # workers: on the myelography notes (the ones that cost work), three times over so that starting
    # the worker processes is amortized as in a real batch; and on notes that are all different (every
    # MTSamples note, screening off so that each costs the full pipeline): the copies favour one
    # process, whose tokenizer cache has seen a note's chunks on its first copy, while two workers
    # each meet about three copies in four for the first time (a real batch holds no copies)
    results["workers"] = {}
    for label, batch, options in (("myelography x3", myelo * 3, {}),
                                  ("MTSamples, all different, no screening", load_mtsamples(None), {"screen": False})):
        one, two = measure("docanalyzer", batch, **options), measure("docanalyzer", batch, workers=2, **options)
        row = {"notes": len(batch), "one": one, "two": two,
               "speedup": round(two["notes_per_s"] / one["notes_per_s"], 2),
               "cpu_overhead": round(two["cpu_seconds"] / one["cpu_seconds"], 2)}
        results["workers"][label] = row
        print(f"\n2 workers on {label} ({len(batch)} notes): {two['notes_per_s']} notes/s = {row['speedup']}x one "
              f"process ({one['notes_per_s']} notes/s); CPU {two['cpu_seconds']} s (parent and workers) vs "
              f"{one['cpu_seconds']} s = {row['cpu_overhead']}x")
    results["startup_seconds"] = startup()
    print(f"start-up (whole process, one tiny note): {results['startup_seconds']}")
    results["same_answers"] = same_answers(mts)
    print(f"screening check: {results['same_answers']}")
    results["length_scaling"] = length_scaling()
    print("note length:", ", ".join(f"{r['chars']:,} chars {r['seconds']} s" for r in results["length_scaling"]))
    results["corpus_scaling"] = corpus_scaling(mts)
    print("corpus size:", ", ".join(f"{r['notes']} notes {r['seconds']} s" for r in results["corpus_scaling"]))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(f"\nwrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
