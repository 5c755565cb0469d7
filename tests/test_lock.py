"""The locks (requirements/*.lock, made by scripts/lock) satisfy pyproject.toml, agree with each
other, and are what this environment runs with."""

from __future__ import annotations

import re
import tomllib
from importlib import metadata

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from tests.conftest import REPO

PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)\s*(?:;\s*([^\\]+?))?\s*\\?$")


def pins(name: str) -> dict[str, tuple[Version, Marker | None]]:
    """Package → (version, marker) of a lock written by `uv pip compile --generate-hashes`."""
    found: dict[str, tuple[Version, Marker | None]] = {}
    for line in (REPO / "requirements" / name).read_text(encoding="utf-8").splitlines():
        match = PIN.match(line)
        if match:
            package, version, marker = match.groups()
            found[canonicalize_name(package)] = (Version(version), Marker(marker) if marker else None)
    assert found, f"no pins in requirements/{name}"
    return found


def declared() -> tuple[list[Requirement], list[Requirement]]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    runtime = [Requirement(r) for r in project["project"]["dependencies"]]
    tools = [Requirement(r) for r in project["project"]["optional-dependencies"]["test"]]
    tools += [Requirement(r) for r in project["build-system"]["requires"]]
    build_in = (REPO / "requirements" / "build.in").read_text(encoding="utf-8")
    tools += [Requirement(line.split("#")[0]) for line in build_in.splitlines() if line.split("#")[0].strip()]
    return runtime, tools


def test_every_declared_requirement_is_pinned_within_its_range():
    runtime, tools = declared()
    test_pins, runtime_pins = pins("test.lock"), pins("runtime.lock")
    for requirement in [*runtime, *tools]:
        if requirement.marker is not None and not requirement.marker.evaluate():
            continue
        name = canonicalize_name(requirement.name)
        assert name in test_pins, f"{requirement} is not in requirements/test.lock: run scripts/lock"
        assert requirement.specifier.contains(test_pins[name][0], prereleases=True), (
            f"requirements/test.lock pins {name}=={test_pins[name][0]}, outside {requirement}: run scripts/lock"
        )
    for requirement in runtime:
        assert canonicalize_name(requirement.name) in runtime_pins, f"{requirement} is not in runtime.lock"


def test_runtime_lock_is_the_test_lock_subset():
    test_pins = pins("test.lock")
    for name, (version, _) in pins("runtime.lock").items():
        assert test_pins.get(name, (None,))[0] == version, f"{name}: runtime.lock and test.lock disagree"


def test_this_environment_runs_the_locked_versions():
    """scripts/run-tests installs from the lock: what is installed is what is pinned."""
    different = []
    for name, (version, marker) in pins("test.lock").items():
        if marker is not None and not marker.evaluate():
            continue
        try:
            installed = Version(metadata.version(name))
        except metadata.PackageNotFoundError:
            different.append(f"{name}: not installed (locked {version})")
            continue
        if installed != version:
            different.append(f"{name}: {installed} installed, {version} locked")
    if different:
        pytest.fail("not the locked environment (run scripts/run-tests):\n" + "\n".join(different))


def test_pin_parser_reads_markers():
    line = "colorama==0.4.6 ; os_name == 'nt' or sys_platform == 'win32' \\"
    match = PIN.match(line)
    assert match is not None and match.groups() == ("colorama", "0.4.6", "os_name == 'nt' or sys_platform == 'win32'")


def test_lock_files_carry_hashes():
    for name in ("test.lock", "runtime.lock"):
        text = (REPO / "requirements" / name).read_text(encoding="utf-8")
        assert text.count("==") <= text.count("--hash=sha256:"), f"{name}: every pin needs its hashes"
