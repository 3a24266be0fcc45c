"""Same answers after a speed-up: every report of every corpus against the reference run.

    python bench/answers.py            # check: exit 1 and name the documents whose report changed
    python bench/answers.py --update   # after an intended change of answers, record the new reference

The reference (bench/reference_answers.json) holds a digest of each document's JSONL report (the
report is deterministic: it holds no time), per corpus: all of MTSamples and the annotated
myelography notes. An optimization must leave it unchanged; a change of rules that changes answers
updates it in the same commit, where the diff shows how many documents moved.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))

from throughput import MTSAMPLES, load_mtsamples, load_myelography  # noqa: E402

REFERENCE = REPO / "bench" / "reference_answers.json"


def digests(texts: list[str]) -> list[str]:
    """A short digest of each note's report, in order (the same ids for every run)."""
    from docanalyzer import Analyzer

    analyzer = Analyzer()
    out = []
    for index, text in enumerate(texts):
        line = analyzer.analyze(text, document_id=str(index)).model_dump_json()
        out.append(hashlib.sha256(line.encode("utf-8")).hexdigest()[:16])
    return out


def current() -> dict[str, list[str]]:
    corpora = {"myelography": load_myelography()}
    if MTSAMPLES.exists():
        corpora["mtsamples"] = load_mtsamples(None)
    return {name: digests(texts) for name, texts in corpora.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--update", action="store_true", help="Record the current answers as the reference.")
    args = parser.parse_args()
    now = current()
    if args.update:
        REFERENCE.write_text(json.dumps(now, indent=0) + "\n", encoding="utf-8")
        print(f"wrote {REFERENCE.relative_to(REPO)}: " + ", ".join(f"{k} {len(v)}" for k, v in now.items()))
        return 0
    reference = json.loads(REFERENCE.read_text(encoding="utf-8"))
    changed = 0
    for name, found in now.items():
        expected = reference.get(name, [])
        differ = [i for i, (a, b) in enumerate(zip(found, expected, strict=False)) if a != b]
        differ += list(range(min(len(found), len(expected)), max(len(found), len(expected))))
        changed += len(differ)
        print(f"{name}: {len(found)} reports, {len(differ)} differ from the reference"
              + (f" (documents {differ[:10]}{' ...' if len(differ) > 10 else ''})" if differ else ""))
    return 1 if changed else 0


if __name__ == "__main__":
    sys.exit(main())
