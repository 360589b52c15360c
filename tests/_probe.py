"""Run a snippet in a fresh Python and read back what it measured (peak memory, results).

The child prints one JSON line last; ``extra_mb`` is its peak resident memory after the
snippet minus the peak after its warm-up (imports and a first small call), so what the
snippet itself allocated, whatever library allocated it. The timeout is generous: a hang or
a runaway allocation fails the test without making it depend on the machine's speed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_PRELUDE = """
import json, resource, sys
def _peak_mb():  # ru_maxrss is in KiB on Linux, bytes on macOS
    unit = 2**20 if sys.platform == "darwin" else 2**10
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / unit
"""


def run_child(warmup: str, snippet: str, *, timeout: float = 120.0) -> dict:
    """Run ``warmup`` then ``snippet`` in a child; ``snippet`` sets a dict ``result``.

    Returns ``result`` plus ``extra_mb`` (peak memory the snippet added, in MB).
    """
    code = "\n".join([
        _PRELUDE,
        textwrap.dedent(warmup),
        "_before = _peak_mb()",
        "result = {}",
        textwrap.dedent(snippet),
        "result['extra_mb'] = _peak_mb() - _before",
        "print(json.dumps(result))",
    ])
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=timeout, env=env, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def error_without_blocking(call, error: type[BaseException], timeout: float = 60.0):
    """The ``error`` that ``call()`` raises, checked to come without blocking: ``call`` runs
    in a daemon thread given ``timeout`` seconds (generous: a refusal takes milliseconds, a
    read from a FIFO without a writer forever)."""
    import threading

    outcome = []

    def run():
        try:
            call()
        except error as err:
            outcome.append(err)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(timeout=timeout)
    assert not worker.is_alive(), f"{call} blocked"
    assert outcome, f"{call} raised no {error.__name__}"
    return outcome[0]
