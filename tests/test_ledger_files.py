"""Which files the ledger reads: only regular files inside it, each at most 10 MiB; everything
else found in clients/ and cases/ is reported at the file, never a hang, a crash or a silent
omission. Real FIFOs, links, devices and permissions; the CLI runs as a separate process, so
that a hang fails the test by its timeout instead of hanging the suite."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from conftest import CASE
from permissions import without_permission_override

from relancegit.read.discover import ledger_file_names

MAX_FILE_BYTES = 10 * 1024 * 1024  # relancegit.limits.MAX_FILE_BYTES, written out: the message says 10 MiB

TODAY = "2026-11-23"
OTHER_CASE = CASE.replace("2026-0042", "2026-0043")


def relancegit(
    root: Path, *args: str, prefix: tuple[str, ...] = (), cache: bool = False
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "RELANCEGIT_NO_CACHE": "0" if cache else "1", "XDG_CACHE_HOME": str(root.parent / "xdg")}
    env.pop("RELANCEGIT_LEDGER", None)
    command = [*prefix, sys.executable, "-m", "relancegit.cli", "--ledger", str(root), "--today", TODAY, *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, env=env, check=False)


def check_json(root: Path, prefix: tuple[str, ...] = (), cache: bool = False) -> dict:
    done = relancegit(root, "check", "--format", "json", prefix=prefix, cache=cache)
    assert "Traceback" not in done.stderr, done.stderr
    return json.loads(done.stdout)


def located(report: dict, kind: str = "errors") -> list[tuple[str, int, int, str]]:
    return [(Path(p["file"]).name, p["line"], p["column"], p["message"]) for p in report[kind]]


# --- things that are not regular files -------------------------------------------------------


def test_a_fifo_is_an_error_not_a_hang(make_ledger):
    root = make_ledger()
    os.mkfifo(root / "cases/2026/x.yaml")
    report = check_json(root)
    assert located(report) == [("x.yaml", 1, 1, "not a regular file (a named pipe): not read")]
    assert report["counts"]["cases"] == 1
    listed = relancegit(root, "list")
    assert listed.returncode == 1
    assert "2026-0042" in listed.stdout
    assert "relancegit: 1 file with errors left out; run 'relancegit check' for details" in listed.stderr


def test_a_link_to_a_device_is_not_read(make_ledger):
    root = make_ledger()
    (root / "cases/2026/zero.yaml").symlink_to("/dev/zero")
    report = check_json(root)
    assert located(report) == [("zero.yaml", 1, 1, "symbolic link to /dev/zero, outside the ledger: not read")]


def test_links_outside_the_ledger_loops_and_broken_links_are_errors(make_ledger, tmp_path: Path):
    root = make_ledger()
    outside = tmp_path / "elsewhere.yaml"
    outside.write_text(OTHER_CASE, encoding="utf-8")
    cases = root / "cases/2026"
    (cases / "2026-0043.yaml").symlink_to(outside)
    (cases / "loop.yaml").symlink_to("loop.yaml")
    (cases / "gone.yaml").symlink_to("nothing-here.yaml")
    (cases / "folder.yaml").symlink_to("..")
    (root / "cases/2027").symlink_to("2026")  # a folder of cases would go missing: an error
    assert located(check_json(root)) == [
        ("2026-0043.yaml", 1, 1, f"symbolic link to {outside}, outside the ledger: not read"),
        ("folder.yaml", 1, 1, "symbolic link to a folder: not read"),
        ("gone.yaml", 1, 1, "broken symbolic link to nothing-here.yaml: No such file or directory"),
        ("loop.yaml", 1, 1, "symbolic link loop (loop.yaml): not read"),
        ("2027", 1, 1, "symbolic link to a folder: not followed"),
    ]


def test_a_link_to_a_file_inside_the_ledger_is_read(make_ledger):
    root = make_ledger({"archive/2026-0043.yaml": OTHER_CASE})
    (root / "cases/2026/2026-0043.yaml").symlink_to("../../archive/2026-0043.yaml")
    report = check_json(root)
    assert report["errors"] == [] and report["counts"]["cases"] == 2


def test_a_file_over_10_mib_is_an_error(make_ledger):
    padding = "#" * (MAX_FILE_BYTES - len(OTHER_CASE)) + "\n"
    root = make_ledger({"cases/2026/2026-0043.yaml": OTHER_CASE + padding})
    size = (root / "cases/2026/2026-0043.yaml").stat().st_size
    assert size == MAX_FILE_BYTES + 1
    assert located(check_json(root)) == [
        ("2026-0043.yaml", 1, 1, "file too large (10,485,761 bytes): ledger files are at most 10 MiB")
    ]
    exactly = make_ledger({"cases/2026/2026-0043.yaml": OTHER_CASE + padding[1:]})
    assert check_json(exactly)["errors"] == []


# --- names -----------------------------------------------------------------------------------


def test_names_that_are_not_ledger_files_are_reported(make_ledger):
    root = make_ledger(
        {
            "cases/2026/2026-0043.YAML": OTHER_CASE,
            "cases/2026/notes.txt": "à relancer\n",
            "cases/2026/2026-0044.yml": CASE.replace("2026-0042", "2026-0044"),
            "clients/old/acme.yaml": "id: acme\nname: ACME\n",
            # hidden files and editor backups: skipped silently
            "cases/2026/.2026-0042.yaml.swp": "swap",
            "cases/2026/2026-0042.yaml~": "backup",
            "cases/2026/#2026-0042.yaml#": "autosave",
            "cases/.drafts/2026-0045.yaml": "draft",
            "clients/README.example.yaml.txt": "id: example",
        }
    )
    report = check_json(root)
    assert located(report) == [
        (
            "2026-0043.YAML",
            1,
            1,
            "not read: ledger files end in lowercase .yaml or .yml (rename it 2026-0043.yaml)",
        ),
    ]
    assert located(report, "warnings") == [
        ("notes.txt", 1, 1, "not a ledger file, not read: ledger files end in .yaml or .yml"),
        ("old", 1, 1, "folder inside clients/: not read (client files sit directly in clients/)"),
    ]
    assert report["counts"]["cases"] == 2  # 2026-0042.yaml and 2026-0044.yml


# --- permissions -----------------------------------------------------------------------------


def test_unreadable_folder_and_file_are_errors(make_ledger):
    prefix = without_permission_override()
    root = make_ledger(
        {"cases/2025/2025-0001.yaml": OTHER_CASE.replace("2026-0043", "2025-0001"), "cases/2027/2027-0001.yaml": ""}
    )
    hidden_folder, hidden_file = root / "cases/2027", root / "cases/2025/2025-0001.yaml"
    hidden_folder.chmod(0)
    hidden_file.chmod(0)
    try:
        report = check_json(root, prefix)
        listed = relancegit(root, "list", prefix=prefix)
    finally:
        hidden_folder.chmod(0o755)
        hidden_file.chmod(0o644)
    assert located(report) == [
        ("2025-0001.yaml", 1, 1, "cannot read file: Permission denied"),
        ("2027", 1, 1, "cannot read folder: Permission denied"),
    ]
    assert listed.returncode == 1
    assert "relancegit: 2 files with errors left out; run 'relancegit check' for details" in listed.stderr


def test_a_file_made_unreadable_is_not_served_from_the_cache(make_ledger):
    prefix = without_permission_override()
    root = make_ledger()
    case_file = root / "cases/2026/2026-0042.yaml"
    for path in root.rglob("*.yaml"):  # written long ago: the cache trusts their stamps alone
        os.utime(path, (1_700_000_000, 1_700_000_000))
    assert check_json(root, prefix, cache=True)["errors"] == []
    case_file.chmod(0)
    try:
        report = check_json(root, prefix, cache=True)
    finally:
        case_file.chmod(0o644)
    assert located(report) == [("2026-0042.yaml", 1, 1, "cannot read file: Permission denied")]


def test_a_folder_that_cannot_be_listed_is_an_error(make_ledger):
    """Fails for root too: a path longer than the system allows (ENAMETOOLONG)."""
    root = make_ledger()
    fd = os.open(root / "cases", os.O_RDONLY)
    try:
        for _ in range(24):  # 24 levels of 200 characters: past PATH_MAX (4096)
            os.mkdir("d" * 200, dir_fd=fd)
            inner = os.open("d" * 200, os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = inner
    finally:
        os.close(fd)
    listing = ledger_file_names(root)
    assert listing.cases == [str(root / "cases/2026/2026-0042.yaml")]
    assert [(p.severity, p.message) for p in listing.problems] == [("error", "cannot read folder: File name too long")]
    assert str(listing.problems[0].file).startswith(str(root / "cases" / ("d" * 200)))
