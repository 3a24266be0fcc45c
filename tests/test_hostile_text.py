"""Hostile input round 2 (issue 13), text rows: look-alike letters, invisible characters and terminal
escapes must neither hide a keyword nor reach a terminal raw; offsets stay into the user's text."""

from __future__ import annotations

import json

import pytest

from docanalyzer import Analyzer
from docanalyzer.normalize import normalize
from docanalyzer.output.terminal import printable

NOTE = ("LUMBAR MYELOGRAM\nUnder fluoroscopic guidance a needle was placed at L2-3 and 15 mL Omnipaque 180 was "
        "injected intrathecally. AP and lateral images of the lumbar spine were obtained.\n"
        "IMPRESSION: L4-5 stenosis.\n")


def signature(report) -> tuple:
    return (report.procedure_status, tuple(report.regions), tuple((e.id, e.status) for e in report.elements),
            tuple(c.code for c in report.code_review.suggested_codes))


@pytest.mark.parametrize(("plain", "disguised"), [
    ("Omnipaque", "Omni\u200bpaque"),                      # zero-width space
    ("MYELOGRAM", "MYELO\u00adGRAM"),                     # soft hyphen
    ("fluoroscopic", "fluoro\u200dscopic"),               # zero-width joiner
    ("Omnipaque", "\u041emnipaque"),                      # Cyrillic capital O
    ("fluoroscopic", "fluor\u03bfscopic"),                # Greek omicron
    ("LUMBAR MYELOGRAM", "".join(chr(ord(c) + 0xFEE0) if c != " " else c for c in "LUMBAR MYELOGRAM")),  # fullwidth
    ("fluoroscopic", "\ufb02uoroscopic"),                 # the "fl" ligature (text copied from a PDF)
    ("15 mL", "15 \u3396"),                               # the squared "ml" unit
])
def test_a_disguised_keyword_reads_as_the_keyword(analyzer: Analyzer, plain: str, disguised: str) -> None:
    text = NOTE.replace(plain, disguised, 1)
    assert len(normalize(text)) == len(text)
    report = analyzer.analyze(text, document_id="probe")
    assert signature(report) == signature(analyzer.analyze(NOTE, document_id="probe"))
    for element in report.elements:  # quotes are the user's own characters, whole words
        for ev in element.evidence:
            assert text[ev.start : ev.end] == ev.text


def test_a_ligature_is_quoted_as_the_user_wrote_it(analyzer: Analyzer) -> None:
    text = "Preamble \ufb01le. " + NOTE.replace("fluoroscopic", "\ufb02uoroscopic")
    report = analyzer.analyze(text)
    quotes = [ev for e in report.elements for ev in e.evidence if "\ufb02" in ev.text]
    assert quotes and all(text[ev.start:ev.end] == ev.text for ev in quotes)
    assert report.input.chars == len(text)


def test_bidi_controls_are_flagged_and_need_a_person(analyzer: Analyzer) -> None:
    trojan = NOTE.replace("Omnipaque 180 was injected", "Omnipaque 180 \u202ewas not\u202c injected")
    report = analyzer.analyze(trojan)
    assert [w.code for w in report.warnings] == ["W001_BIDI_CONTROLS"]
    assert report.verdict == "needs_review"
    assert "was not" not in report.warnings[0].message  # codes and counts, no note text
    assert analyzer.analyze(NOTE).warnings == []


def test_disguised_letters_are_read_and_reported(analyzer: Analyzer) -> None:
    report = analyzer.analyze(NOTE.replace("Omnipaque", "\u041emni\u200bpaque"))
    assert [w.code for w in report.warnings] == ["W002_MIXED_SCRIPT", "W003_INVISIBLE_IN_WORD"]
    assert report.verdict != "needs_review"
    assert analyzer.analyze("Москва. " + NOTE).warnings == []  # real Cyrillic words are not a disguise


def test_real_cyrillic_text_is_left_alone() -> None:
    assert normalize("Москва и Ομήρος") == "Москва и Ομήρος"


def test_terminal_escapes_are_shown_not_sent() -> None:
    shown = printable("id\x1b]0;pwned\x07 \x1b[2J \u202eevil")
    assert "\x1b" not in shown and "\x07" not in shown and "\u202e" not in shown
    assert "\\x1b" in shown and "\\u202e" in shown


def test_a_jsonl_record_with_a_huge_number_is_that_records_error(runner, tmp_path) -> None:
    from docanalyzer.cli import app

    records = tmp_path / "notes.jsonl"
    records.write_text(json.dumps({"document_id": "a", "text": NOTE}) + "\n"
                       + '{"document_id": "b", "text": "x", "n": ' + "9" * 5000 + "}\n"
                       + json.dumps({"document_id": "c", "text": NOTE}) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["analyze", str(records), "-f", "jsonl", "-q"])
    assert result.exit_code == 3  # some notes could not be analyzed; the batch went on
    out = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    assert len(out) == 3 and out[1]["errors"] and not out[0]["errors"] and not out[2]["errors"]


def test_a_file_name_with_escape_sequences_is_printed_escaped(runner, tmp_path) -> None:
    from docanalyzer.cli import app

    note = tmp_path / "evil\x1b[2Jname.txt"
    note.write_text(NOTE, encoding="utf-8")
    result = runner.invoke(app, ["analyze", str(note), "-f", "text", "-q"])
    assert "\x1b[2J" not in result.stdout and "\\x1b[2J" in result.stdout


def test_version(runner) -> None:
    from docanalyzer.cli import app

    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.stdout.startswith("docanalyzer ")


@pytest.mark.parametrize("name", ["notes.txt", "notes.jsonl"])
def test_a_fifo_given_as_a_file_is_refused_not_waited_on(runner, tmp_path, name: str) -> None:
    import os

    from docanalyzer.cli import app

    fifo = tmp_path / name
    os.mkfifo(fifo)  # no writer: opening it would block forever
    result = runner.invoke(app, ["analyze", str(fifo), "-f", "jsonl", "-q"])
    assert result.exit_code == 3
    out = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    assert len(out) == 1 and "named pipe" in out[0]["errors"][0]["message"]


def _cli(*args: str, stdout):
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", "docanalyzer", *args], stdout=stdout, stderr=subprocess.PIPE,
                          text=True, timeout=120)


@pytest.mark.skipif(not __import__("os").path.exists("/dev/full"), reason="no /dev/full on this system")
def test_a_full_disk_is_one_line_and_exit_4(tmp_path) -> None:
    note = tmp_path / "note.txt"
    note.write_text(NOTE, encoding="utf-8")
    with open("/dev/full", "w") as full:
        result = _cli("analyze", str(note), "-f", "jsonl", stdout=full)
    assert result.returncode == 4
    assert "Traceback" not in result.stderr and "cannot write the results" in result.stderr


def test_a_closed_stdout_is_one_line_and_exit_4(tmp_path) -> None:
    import subprocess
    import sys

    note = tmp_path / "note.txt"
    note.write_text(NOTE, encoding="utf-8")
    code = ("import os, sys, runpy; os.close(1); sys.stdout = None; "
            f"sys.argv = ['docanalyzer', 'analyze', {str(note)!r}, '-f', 'jsonl']; "
            "runpy.run_module('docanalyzer', run_name='__main__')")
    result = subprocess.run([sys.executable, "-c", code], capture_output=False, stderr=subprocess.PIPE,
                            text=True, timeout=120)
    assert result.returncode == 4
    assert "Traceback" not in result.stderr and "standard output is closed" in result.stderr


def test_a_symlink_planted_at_the_partial_file_is_refused(runner, tmp_path) -> None:
    from docanalyzer.cli import app

    note = tmp_path / "note.txt"
    note.write_text(NOTE, encoding="utf-8")
    victim = tmp_path / "victim.txt"
    victim.write_text("precious", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    (tmp_path / "out.jsonl.partial").symlink_to(victim)
    result = runner.invoke(app, ["analyze", str(note), "-f", "jsonl", "-o", str(out), "-q"])
    assert result.exit_code == 2
    assert "symbolic link" in result.stderr
    assert victim.read_text(encoding="utf-8") == "precious" and not out.exists()


def test_a_hard_link_at_the_partial_file_is_refused(runner, tmp_path) -> None:
    import os

    from docanalyzer.cli import app

    note = tmp_path / "note.txt"
    note.write_text(NOTE, encoding="utf-8")
    victim = tmp_path / "victim.txt"
    victim.write_text("precious", encoding="utf-8")
    os.link(victim, tmp_path / "out.jsonl.partial")
    result = runner.invoke(app, ["analyze", str(note), "-f", "jsonl", "-o", str(tmp_path / "out.jsonl"), "-q"])
    assert result.exit_code == 2 and "hard link" in result.stderr
    assert victim.read_text(encoding="utf-8") == "precious"


def test_a_deleted_working_directory_is_one_line(tmp_path) -> None:
    import subprocess
    import sys

    gone = tmp_path / "gone"
    gone.mkdir()
    script = (f"import os, runpy, sys; os.chdir({str(gone)!r}); os.rmdir({str(gone)!r}); "
              "sys.argv = ['docanalyzer', 'analyze', '-']; runpy.run_module('docanalyzer', run_name='__main__')")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and "working directory no longer exists" in result.stderr


def test_ctrl_c_with_workers_prints_no_traceback(tmp_path) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time

    notes = tmp_path / "notes"
    notes.mkdir()
    for i in range(4000):
        (notes / f"n{i}.txt").write_text(NOTE, encoding="utf-8")
    out = tmp_path / "out.jsonl"
    process = subprocess.Popen([sys.executable, "-m", "docanalyzer", "analyze", str(notes), "--workers", "2",
                                "-f", "jsonl", "-o", str(out), "-q"], stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True, start_new_session=True)
    partial = tmp_path / "out.jsonl.partial"
    deadline = time.monotonic() + 60
    while (not partial.exists() or partial.stat().st_size == 0) and time.monotonic() < deadline:
        time.sleep(0.1)
    os.killpg(process.pid, signal.SIGINT)  # Ctrl-C reaches the whole process group
    _, err = process.communicate(timeout=60)
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    if process.returncode != 0:  # interrupted before the end: the results so far are kept for --resume
        assert process.returncode == 130 and "interrupted" in err
        assert partial.exists() and not out.exists()


@pytest.mark.skipif(not __import__("sys").platform.startswith("linux"), reason="finds the workers through /proc")
def test_a_killed_worker_does_not_hang_the_batch(tmp_path) -> None:
    NOTES = 12000
    import os
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    records = tmp_path / "notes.jsonl"
    # (enough notes that the batch is still running when a worker is found, on a fast machine too)
    records.write_text("".join(json.dumps({"id": f"n{i}", "text": NOTE}) + "\n" for i in range(NOTES)),
                       encoding="utf-8")
    out = tmp_path / "out.jsonl"
    process = subprocess.Popen([sys.executable, "-m", "docanalyzer", "analyze", str(records), "--workers", "2",
                                "-f", "jsonl", "-o", str(out), "-q"], stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    own_command = Path(f"/proc/{process.pid}/cmdline").read_bytes()
    partial = tmp_path / "out.jsonl.partial"
    deadline = time.monotonic() + 60
    while (not partial.exists() or partial.stat().st_size == 0) and time.monotonic() < deadline:
        time.sleep(0.05)
    killed = False
    while not killed and process.poll() is None:
        # (workers may be started by any thread of the parent: read the children of every thread)
        children = [pid for task in Path(f"/proc/{process.pid}/task").iterdir()
                    for pid in _read(f"{task}/children").decode().split()]
        for pid in children:
            if _read(f"/proc/{pid}/cmdline") == own_command:
                try:
                    os.kill(int(pid), signal.SIGKILL)
                    killed = True
                    break
                except ProcessLookupError:  # it ended between the listing and the kill: find another
                    continue
    assert killed, "the batch ended before a worker could be killed"
    _, err = process.communicate(timeout=180)  # hung forever before
    assert process.returncode == 0, err[-2000:]
    assert "Traceback" not in err
    lines = out.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["document_id"] for line in lines] == [f"n{i}" for i in range(NOTES)]


@pytest.mark.skipif(not __import__("sys").platform.startswith("linux"), reason="finds the workers through /proc")
@pytest.mark.parametrize("whole_group", [False, True])
def test_sigterm_with_workers_is_one_line_and_leaves_no_worker(tmp_path, whole_group: bool) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    records = tmp_path / "notes.jsonl"
    records.write_text("".join(json.dumps({"id": f"n{i}", "text": NOTE}) + "\n" for i in range(20000)),
                       encoding="utf-8")
    process = subprocess.Popen([sys.executable, "-m", "docanalyzer", "analyze", str(records), "--workers", "2",
                                "-f", "jsonl", "-o", str(tmp_path / "out.jsonl"), "-q"], stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True, start_new_session=True)
    partial = tmp_path / "out.jsonl.partial"
    deadline = time.monotonic() + 60
    while (not partial.exists() or partial.stat().st_size == 0) and time.monotonic() < deadline:
        time.sleep(0.05)
    workers = [pid for task in Path(f"/proc/{process.pid}/task").iterdir()
               for pid in _read(f"{task}/children").decode().split()]
    assert workers, "no worker process found while the batch ran"
    (os.killpg if whole_group else os.kill)(process.pid, signal.SIGTERM)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 143, err[-2000:]
    assert "Traceback" not in err
    if not whole_group:  # (with the whole group, the parent may be gone before it can say anything)
        assert "terminated" in err
    assert partial.exists() and not (tmp_path / "out.jsonl").exists()
    deadline = time.monotonic() + 20
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(pid) for pid in workers), "a worker outlived the run"


def _alive(pid: str) -> bool:
    state = _read(f"/proc/{pid}/stat")
    return bool(state) and b") Z " not in state


def _read(path: str) -> bytes:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError:  # the process has just ended
        return b""


@pytest.mark.parametrize("when", ["at start", "after start"])
def test_a_closed_stdin_is_that_inputs_error_not_a_traceback(when: str) -> None:
    import os
    import subprocess
    import sys

    close = "os.close(0); " if when == "after start" else ""  # (at start: Python has no sys.stdin at all)
    script = (f"import os, runpy, sys; {close}sys.argv = ['docanalyzer', 'analyze', '-', '-f', 'jsonl']; "
              "runpy.run_module('docanalyzer', run_name='__main__')")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                            stdin=subprocess.DEVNULL,
                            preexec_fn=(lambda: os.close(0)) if when == "at start" else None)
    assert result.returncode == 3, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    (line,) = result.stdout.splitlines()
    record = json.loads(line)
    assert record["document_id"] == "stdin" and record["errors"][0]["code"] == "E005_UNREADABLE"
