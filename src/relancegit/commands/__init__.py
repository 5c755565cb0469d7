"""The command layer: one module per command or group of commands, called by `cli.py`.

Layer: the edge, below the click declarations of `cli.py`. Each function loads what its
command needs (`common.Options.load`), calls the core, chooses the output (text or JSON),
prints and sets the exit code. With `cli.py`, the only layer that imports click or reads the
clock, and with the load seam the only one that imports `relancegit.speed`:

- `common.py`: the global options, loading, printing, exit codes, the replay of reading commands;
- `reading.py`: check, show, list, next, report, rates;
- `init.py`: init, schema;
- `record.py`: record;
- `audit.py`: history, audit;
- `calendar.py`: calendar;
- `build.py`: build (the dashboard, with the incremental machinery of `speed.pages`);
- `letters.py`: letter, send.
"""
