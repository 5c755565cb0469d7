"""Speed machinery behind one door: caches, worker pools, output replay and GC control.

Domain modules (model, rules, engine, letters, site) import nothing from here; only the load
seam (`read/load.py`, `read/mapreduce.py`) and the command layer do. `RELANCEGIT_NO_CACHE=1` closes the
door: no cache, no worker processes, no lean YAML constructor, no GC pause; the results are
the same (tests/test_speed_door.py).

- `cache.py`: parsed files and command results, file stamps, the input signature;
- `pool.py`: chunks of files across forked worker processes;
- `gc.py`: the cyclic garbage collector paused while bulk loading;
- `fastyaml.py`: the lean constructor of YAML nodes (same data and errors as `yamlsafe`'s).
"""

from __future__ import annotations

import os

ENV_NO_CACHE = "RELANCEGIT_NO_CACHE"


def enabled() -> bool:
    """Whether the door is open (the default); `RELANCEGIT_NO_CACHE=1` closes it."""
    return os.environ.get(ENV_NO_CACHE, "") in ("", "0")
