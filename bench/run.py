"""Benchmark: relancegit against the YAML parsing floor, on the same files, in one run.

    python bench/run.py 1000 10000 100000 [--write docs/benchmarks.md] [--repeat 3]

For each size it generates a ledger (bench/generate.py), then times, each as a fresh process
the way a user runs it:

- the floor: `yaml.load(f, Loader=yaml.CSafeLoader)` on every file, the parse any YAML-based
  tool pays (timed inside a process, and as a whole process with interpreter start-up);
- `check`, `next`, `report` and `build` cold (no cache), warm (nothing changed) and after
  changing one case; and the peak memory (max RSS) of each.

Ratios are to the in-process floor (the stricter comparison). Timings are the median of
`--repeat` runs. Output: a table on stdout and, with `--write`, a Markdown report.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
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


@dataclass
class Timing:
    seconds: float
    max_rss_mib: float


def run_process(args: list[str], env: dict[str, str] | None = None) -> tuple[Timing, str]:
    """Run a command; its wall time and its own peak memory (os.wait4 rusage)."""
    start = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    assert proc.stdout is not None
    out = proc.stdout.read().decode()
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(args)} failed with exit code {proc.returncode}")
    return Timing(elapsed, usage.ru_maxrss / 1024), out


def median(samples: list[Timing]) -> Timing:
    return Timing(statistics.median(s.seconds for s in samples), max(s.max_rss_mib for s in samples))


def has_command(name: str) -> bool:
    return subprocess.run(["relancegit", name, "--help"], capture_output=True, check=False).returncode == 0


def touch_one_case(ledger: Path, round_: int) -> None:
    """Change one case the way a user does: append an event."""
    case = sorted((ledger / "cases").rglob("*.yaml"))[len(list((ledger / "cases").rglob("*.yaml"))) // 2]
    text = case.read_text(encoding="utf-8").replace("events: []\n", "events:\n")
    case.write_text(text + f'  - {{date: {TODAY}, type: note, note: "bench {round_}"}}\n', encoding="utf-8")


def bench_size(n: int, repeat: int, work: Path) -> dict[str, Timing]:
    target = work / f"ledger-{n}"
    ledger = generate(n, target, __import__("datetime").date.fromisoformat(TODAY))
    cache = target / ".relancegit-cache"
    site = work / f"site-{n}"
    results: dict[str, Timing] = {}

    floors, floor_procs = [], []
    for _ in range(repeat):
        timing, out = run_process([sys.executable, "-c", FLOOR, str(ledger)])
        floors.append(Timing(float(out), timing.max_rss_mib))
        floor_procs.append(timing)
    results["floor (parse only)"] = median(floors)
    results["floor as a process"] = median(floor_procs)

    commands = [c for c in ("check", "next", "report", "build") if has_command(c)]
    for command in commands:
        args = ["relancegit", "--ledger", str(ledger), "--today", TODAY, command]
        if command == "build":
            args += ["-o", str(site)]
        cold, warm, changed = [], [], []
        for round_ in range(repeat):
            shutil.rmtree(cache, ignore_errors=True)
            shutil.rmtree(site, ignore_errors=True)
            cold.append(run_process(args)[0])
            warm.append(run_process(args)[0])
            touch_one_case(ledger, round_)
            changed.append(run_process(args)[0])
        results[f"{command} cold"] = median(cold)
        results[f"{command} warm"] = median(warm)
        results[f"{command} one case changed"] = median(changed)
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
    rows = list(next(iter(all_results.values())))
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
                cells.append(f"{t.seconds:.2f} s ({t.seconds / floor:.2f}×), {t.max_rss_mib:.0f} MiB")
        lines.append(f"| {row} | " + " | ".join(cells) + " |")
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
    report = table(all_results)
    print(report)
    if args.write:
        args.write.write_text(
            "# Benchmarks\n\n"
            f"Machine: {machine()}.\n\n"
            f"Command: `python bench/run.py {' '.join(map(str, args.sizes))} --repeat {args.repeat} --write {args.write}`"
            f" (median of {args.repeat} runs; ratio to the in-process parse floor; peak memory of the process).\n\n"
            + report
            + "\n",
            encoding="utf-8",
        )


if __name__ == "__main__":
    main()
