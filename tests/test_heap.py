"""heap.py: the collector is left as the host had it, a host's own freeze is kept, and docanalyzer
freezes at most once per reason. Each case runs in its own interpreter (a freeze is process-wide)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap


def _run(code: str, **env: str) -> None:
    subprocess.run([sys.executable, "-c", textwrap.dedent(code)], check=True, timeout=120,
                   env={**os.environ, **env})


def test_collector_left_as_it_was_and_frozen_once():
    _run("""
        import gc
        from docanalyzer.heap import keep_for_process, long_lived
        with long_lived("modules"):
            assert not gc.isenabled()
        assert gc.isenabled() and gc.get_freeze_count() > 0
        frozen = gc.get_freeze_count()
        made_later = [[] for _ in range(1000)]
        keep_for_process("modules")  # (already kept: nothing more is frozen)
        # (a frozen object freed by its last reference leaves the count: it may fall, never grow)
        assert gc.get_freeze_count() <= frozen
        gc.disable()
        with long_lived("pipeline"):
            kept = [[] for _ in range(1000)]
        assert not gc.isenabled() and gc.get_freeze_count() > frozen
    """)


def test_host_freeze_is_the_hosts():
    _run("""
        import gc
        gc.freeze()
        frozen = gc.get_freeze_count()
        from docanalyzer.heap import frozen_heap, keep_for_process
        made_after = [[] for _ in range(1000)]  # (frozen by docanalyzer, they would raise the count)
        keep_for_process("pipeline")
        with frozen_heap():
            assert 0 < gc.get_freeze_count() <= frozen
        # neither added to nor undone (a frozen object freed by its last reference leaves the count)
        assert 0 < gc.get_freeze_count() <= frozen
    """)


def test_analyzer_import_and_build_leave_the_collector_enabled():
    _run("""
        import gc
        from docanalyzer import Analyzer
        assert gc.isenabled()
        Analyzer().analyze("LUMBAR MYELOGRAM. 15 mL Omnipaque 180.")
        assert gc.isenabled() and gc.get_freeze_count() > 0
    """)


def test_a_host_can_opt_out_of_the_freeze():
    _run("""
        import gc
        from docanalyzer import Analyzer
        from docanalyzer.heap import frozen_heap
        Analyzer().analyze("LUMBAR MYELOGRAM. 15 mL Omnipaque 180.")
        with frozen_heap():
            assert gc.get_freeze_count() == 0
        assert gc.isenabled() and gc.get_freeze_count() == 0
    """, DOCANALYZER_GC_FREEZE="0")
