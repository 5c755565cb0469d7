"""The static dashboard (`relancegit build`, docs/dashboard.md).

- `data.py`: the figures behind each chart and list (pure);
- `svg.py`: inline SVG charts;
- `redact.py`: the pseudonymised ledger for `--redact`;
- `timeline.py`: events merged with the git history of each case file;
- `letters.py`: letters rendered into the site (hook to the letters module);
- `build.py`: pages, assets and data.json, and which pages need rendering again;
- `workers.py`: the changed cases' pages and letters rendered across the cores;
- `writer.py`: the output folder, written atomically and never outside.
"""

from relancegit.dashboard.build import build
from relancegit.dashboard.writer import BuildResult, UnsafeOutput

__all__ = ["BuildResult", "UnsafeOutput", "build"]
