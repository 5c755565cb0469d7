"""Benchmark: relancegit against the YAML parsing floor, on the same files, in one run.

    python bench/run.py 1000 10000 100000 [--write docs/benchmarks.md] [--repeat 3]

For each size it generates a ledger (bench/generate.py), then times, each as a fresh process
the way a user runs it:

- the floor: `yaml.load(f, Loader=yaml.CSafeLoader)` on every file, the parse any YAML-based
  tool pays (timed inside a process, and as a whole process with interpreter start-up);
- `check`, `next`, `list`, `report` and `build` cold (no cache), warm (nothing changed) and
  after changing one case; `next`, `list` and `report` also as the first run of a new day (a run
  with `--today D` first, then the one timed with `--today D+1`, files unchanged, a new D in
  every round); and the peak memory of each.

Memory: each command runs under a small measuring process (not timed), which reports two
figures: the largest max RSS of any process of the command's tree (the command and the workers
it forks: `getrusage(RUSAGE_CHILDREN)` of the measuring process, whose only child is the
command; the kernel keeps the largest of the descendants it reaped, it never sums them), and
the peak of the whole tree (the sum of the proportional set sizes of the command and its live
descendants, sampled every 20 ms from /proc, at least the largest max RSS).

Ratios are to the in-process floor (the stricter comparison). Timings are the median of
`--repeat` runs. Output: the figures, then the targets of issue 19 (met or not), on stdout and,
with `--write`, in a Markdown report.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import generate

TODAY = "2026-11-23"
FLOOR = """\
import sys, time
from pathlib import Path
import yaml
files = sorted(Path(sys.argv[1]).rglob("*.yaml"))
start = time.perf_counter()
for path in files:
    with open(path, "rb") as handle:
        yaml.load(handle, Loader=yaml.CSafeLoader)
print(time.perf_counter() - start)
"""


MEASURE = """\
import json, os, resource, subprocess, sys, threading, time

def tree(pid):
    found, todo = [], [pid]
    while todo:
        pid = todo.pop()
        found.append(pid)
        try:
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children") as handle:
                    todo.extend(int(child) for child in handle.read().split())
        except OSError:
            pass
    return found

def pss_kib(pid):
    try:
        with open(f"/proc/{pid}/smaps_rollup") as handle:
            for line in handle:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0

peak = 0
def sample(pid, stop):
    global peak
    while not stop.wait(0.02):
        peak = max(peak, sum(pss_kib(p) for p in tree(pid)))

start = time.perf_counter()
proc = subprocess.Popen(json.loads(sys.argv[1]), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
stop = threading.Event()
sampler = threading.Thread(target=sample, args=(proc.pid, stop), daemon=True)
sampler.start()
out = proc.stdout.read()
code = proc.wait()
seconds = time.perf_counter() - start
stop.set()
sampler.join()
largest = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"seconds": seconds, "code": code, "largest_kib": largest, "tree_kib": max(peak, largest),
                  "stdout": out.decode()}))
"""


@dataclass
class Timing:
    seconds: float
    max_rss_mib: float  # the largest process of the command's tree
    tree_mib: float  # the whole tree at its (sampled) peak, at least max_rss_mib


def run_process(args: list[str]) -> tuple[Timing, str]:
    """Run a command under the measuring process: its wall time, its memory and its output."""
    proc = subprocess.run([sys.executable, "-c", MEASURE, json.dumps(args)], capture_output=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"measuring {' '.join(args)} failed: {proc.stderr.decode()}")
    measured = json.loads(proc.stdout)
    if measured["code"] not in (0, 1):
        raise SystemExit(f"{' '.join(args)} failed with exit code {measured['code']}")
    timing = Timing(measured["seconds"], measured["largest_kib"] / 1024, measured["tree_kib"] / 1024)
    return timing, str(measured["stdout"])


def median(samples: list[Timing]) -> Timing:
    return Timing(
        statistics.median(s.seconds for s in samples),
        max(s.max_rss_mib for s in samples),
        max(s.tree_mib for s in samples),
    )


def has_command(name: str) -> bool:
    return subprocess.run(["relancegit", name, "--help"], capture_output=True, check=False).returncode == 0


def touch_one_case(ledger: Path, round_: int) -> None:
    """Change one case the way a user does: append an event."""
    case = sorted((ledger / "cases").rglob("*.yaml"))[len(list((ledger / "cases").rglob("*.yaml"))) // 2]
    text = case.read_text(encoding="utf-8").replace("events: []\n", "events:\n")
    case.write_text(text + f'  - {{date: {TODAY}, type: note, note: "bench {round_}"}}\n', encoding="utf-8")


COMMANDS = ("check", "next", "list", "report", "build")
NEW_DAY = ("next", "list", "report")  # reading commands whose figures change with the date
COLD, WARM, CHANGED, NEW_DAY_RUN = "cold", "warm", "one case changed", "first of a new day"


def bench_size(n: int, repeat: int, work: Path) -> dict[str, Timing]:
    target = work / f"ledger-{n}"
    today = date.fromisoformat(TODAY)
    ledger = generate(n, target, today)
    cache = target / ".relancegit-cache"
    site = work / f"site-{n}"
    results: dict[str, Timing] = {}

    floors, floor_procs = [], []
    for _ in range(repeat):
        timing, out = run_process([sys.executable, "-c", FLOOR, str(ledger)])
        floors.append(Timing(float(out), timing.max_rss_mib, timing.tree_mib))
        floor_procs.append(timing)
    results["floor (parse only)"] = median(floors)
    results["floor as a process"] = median(floor_procs)

    for command in (c for c in COMMANDS if has_command(c)):

        def run(day: date, command: str = command) -> Timing:
            args = ["relancegit", "--ledger", str(ledger), "--today", day.isoformat(), command]
            if command == "build":
                args += ["-o", str(site)]
            return run_process(args)[0]

        samples: dict[str, list[Timing]] = {}
        for round_ in range(repeat):
            shutil.rmtree(cache, ignore_errors=True)
            shutil.rmtree(site, ignore_errors=True)
            samples.setdefault(COLD, []).append(run(today))
            samples.setdefault(WARM, []).append(run(today))
            touch_one_case(ledger, round_)
            samples.setdefault(CHANGED, []).append(run(today))
            if command in NEW_DAY:
                # Yesterday's run warms the caches; today's is the first of its day. Days never
                # seen before in every round, and after the changed case (no file changes).
                yesterday = today + timedelta(days=2 * round_ + 1)
                run(yesterday)
                samples.setdefault(NEW_DAY_RUN, []).append(run(yesterday + timedelta(days=1)))
        for kind, timings in samples.items():
            results[f"{command} {kind}"] = median(timings)
    return results


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        model = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
        cpu = model
    except (OSError, StopIteration):
        pass
    memory = ""
    try:
        kib = int(
            next(
                line.split()[1]
                for line in Path("/proc/meminfo").read_text().splitlines()
                if line.startswith("MemTotal")
            )
        )
        memory = f", {kib / 1024 / 1024:.0f} GiB"
    except (OSError, StopIteration):
        pass
    return f"{os.cpu_count()} cores ({cpu}){memory}, {platform.system()} {platform.release()}, Python {platform.python_version()}"


def table(all_results: dict[int, dict[str, Timing]]) -> str:
    sizes = sorted(all_results)
    rows = list(dict.fromkeys(row for n in sizes for row in all_results[n]))
    head = "| measure | " + " | ".join(f"{n:,} cases" for n in sizes) + " |"
    lines = [head, "|---|" + "---|" * len(sizes)]
    for row in rows:
        cells = []
        for n in sizes:
            t = all_results[n].get(row)
            floor = all_results[n]["floor (parse only)"].seconds
            if t is None:
                cells.append("—")
            elif row.startswith("floor (parse"):
                cells.append(f"{t.seconds:.2f} s")
            else:
                memory = f"{t.max_rss_mib:.0f} MiB"
                if t.tree_mib > t.max_rss_mib * 1.05:  # workers add more than the sampling noise
                    memory += f" (tree {t.tree_mib:.0f} MiB)"
                cells.append(f"{t.seconds:.2f} s ({t.seconds / floor:.2f}×), {memory}")
        lines.append(f"| {row} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


# Issue 19: at 10,000 cases, each measure at most this ratio to the floor of the same run.
RATIO_TARGETS: list[tuple[str, str, float]] = [
    ("check cold", "cold `check`", 0.7),
    ("check warm", "warm `check`", 0.1),
    ("next first of a new day", "first `next` of a new day", 0.5),
    ("list first of a new day", "first `list` of a new day", 0.5),
    ("report first of a new day", "first `report` of a new day", 0.5),
    ("build cold", "cold `build`", 3.0),
    ("build one case changed", "`build` after one case changed", 0.3),
]
TARGET_SIZE = 10_000
LARGE_SIZE = 100_000
LINEAR = (8.0, 12.0)  # 10k → 100k: × 10 ± 20 %
MEMORY_MIB = 1024.0


def targets(all_results: dict[int, dict[str, Timing]]) -> list[tuple[str, str, bool]]:
    """The rows of the targets table: what is asked, what was measured, met or not."""
    sizes = sorted(all_results)
    at = TARGET_SIZE if TARGET_SIZE in all_results else sizes[-1]
    results = all_results[at]
    floor = results["floor (parse only)"].seconds
    where = "" if at == TARGET_SIZE else f" (at {at:,} cases: {TARGET_SIZE:,} not run)"
    rows: list[tuple[str, str, bool]] = []
    for measure, label, limit in RATIO_TARGETS:
        timing = results.get(measure)
        if timing is None:
            continue
        ratio = timing.seconds / floor
        rows.append((f"{label} ≤ {limit:g} × floor", f"{ratio:.2f} × ({timing.seconds:.2f} s){where}", ratio <= limit))
    if TARGET_SIZE in all_results and LARGE_SIZE in all_results:
        small, large = all_results[TARGET_SIZE], all_results[LARGE_SIZE]
        low, high = LINEAR
        for measure in (m for m in small if m in large and not m.startswith("floor")):
            growth = large[measure].seconds / small[measure].seconds
            shape = " (sub-linear: fixed costs)" if growth < low else ""
            rows.append(
                (
                    f"`{measure}` linear from 10,000 to 100,000 cases (× 10 ± 20 %)",
                    f"{small[measure].seconds:.2f} s → {large[measure].seconds:.2f} s: × {growth:.1f}{shape}",
                    growth <= high,
                )
            )
    if LARGE_SIZE in all_results:
        measure, worst = max(
            ((m, t) for m, t in all_results[LARGE_SIZE].items() if not m.startswith("floor")),
            key=lambda item: item[1].tree_mib,
        )
        rows.append(
            (
                "100,000 cases: peak memory ≤ 1 GiB (every command, its whole process tree)",
                f"{worst.tree_mib:.0f} MiB (`{measure}`)",
                worst.tree_mib <= MEMORY_MIB,
            )
        )
    return rows


def targets_table(rows: list[tuple[str, str, bool]]) -> str:
    lines = ["| target | result | |", "|---|---|---|"]
    lines += [f"| {target} | {result} | {'met' if met else '**not met**'} |" for target, result, met in rows]
    return "\n".join(lines)


def compile_bytecode() -> None:
    """Compile relancegit's modules first, as `pip install` does: with PYTHONDONTWRITEBYTECODE
    set (as on these machines) an editable install would otherwise compile every module again
    in every timed process (about 0.15 s each)."""
    import importlib.util

    spec = importlib.util.find_spec("relancegit")
    if spec is not None and spec.submodule_search_locations:
        for folder in spec.submodule_search_locations:
            subprocess.run([sys.executable, "-m", "compileall", "-q", folder], check=False, stdout=subprocess.DEVNULL)


def main() -> None:
    parser = argparse.ArgumentParser(description="relancegit benchmark against the YAML parsing floor")
    parser.add_argument("sizes", type=int, nargs="+")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--write", type=Path, help="write the Markdown report here")
    args = parser.parse_args()
    compile_bytecode()
    all_results = {}
    with tempfile.TemporaryDirectory(prefix="relancegit-bench-") as tmp:
        for n in args.sizes:
            print(f"benchmarking {n} cases…", file=sys.stderr)
            all_results[n] = bench_size(n, args.repeat, Path(tmp))
    report = table(all_results) + "\n\n## Targets (issue 19)\n\n" + targets_table(targets(all_results))
    print(report)
    if args.write:
        args.write.write_text(
            "# Benchmarks\n\n"
            f"Machine: {machine()}.\n\n"
            f"Command: `python bench/run.py {' '.join(map(str, args.sizes))} --repeat {args.repeat} --write {args.write}`"
            f" (median of {args.repeat} runs; ratio to the in-process parse floor; memory: the largest max RSS of"
            " the command's processes, and in brackets the sampled peak of its whole process tree when its"
            " workers add to it).\n\n"
            + report
            + "\n",
            encoding="utf-8",
        )


if __name__ == "__main__":
    main()
