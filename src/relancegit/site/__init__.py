"""The static dashboard (`relancegit build`, docs/dashboard.md).

- `data.py`: the figures behind each chart and list (pure);
- `svg.py`: inline SVG charts;
- `redact.py`: the pseudonymised ledger for `--redact`;
- `timeline.py`: events merged with the git history of each case file;
- `letters.py`: letters rendered into the site (hook to the letters module);
- `site.py`: `write_site`, the pages, assets and data.json, and what each page depends on;
- `casepages.py`: the changed cases' pages and letters, rendered a chunk at a time;
- `writer.py`: the output folder, written atomically and never outside.

Which pages of the previous build stay and where cases render is decided by the `Pages`
object handed to `write_site` (the incremental one is `speed.pages`): nothing here imports
`relancegit.speed`.
"""

from relancegit.site.site import write_site
from relancegit.site.writer import BuildResult, UnsafeOutput

__all__ = ["BuildResult", "UnsafeOutput", "write_site"]
