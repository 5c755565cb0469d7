"""The layering rules of docs/architecture.md, enforced on the source.

Every module of the package belongs to one component (its sub-package, or a top-level module);
each component may import only the components listed for it. Imports inside functions count
too (a lazy import is still a dependency).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "relancegit"

# component -> the components it may import (besides itself). Lower layers first.
CORE = {"model", "enums", "problems", "limits", "words", "files", "safexml", "__init__"}
ALLOWED: dict[str, set[str]] = {
    **dict.fromkeys(CORE, CORE),
    "engine": CORE,
    "rules": CORE | {"engine"},
    "read": CORE | {"engine", "rules", "speed"},
    "render": CORE | {"engine", "rules"},
    "letters": CORE | {"engine", "rules", "render"},
    "site": CORE | {"engine", "rules", "render", "letters", "git"},
    "git": CORE | {"read"},
    "write": CORE | {"read", "rules", "engine", "render", "letters", "git"},
    # The door: its machinery may call what it speeds up; nothing below imports it.
    "speed": CORE | {"read", "engine", "site"},
    "scaffold": CORE | {"render"},
    "importing": CORE | {"read", "rules", "engine", "write", "git"},
    "matching": CORE | {"read", "rules", "engine", "write", "git", "importing"},
    "commands": CORE
    | {
        "read",
        "rules",
        "engine",
        "render",
        "letters",
        "site",
        "git",
        "write",
        "speed",
        "scaffold",
        "importing",
        "matching",
    },
    "cli": CORE | {"commands"},
}
# Inside `read`, only the load seam opens the speed door.
SPEED_USERS = {"read.load", "read.mapreduce"}


def component(module: str) -> str:
    return module.split(".")[0]


def modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" and len(parts) > 1 else parts)
        found[name] = path
    return found


def imports(path: Path, module: str) -> set[str]:
    """The relancegit modules (relative to the package) that `module` imports."""
    tree = ast.parse(path.read_text(), str(path))
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("relancegit."):
                    found.add(alias.name.removeprefix("relancegit."))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base if is_package else base[:-1]
                base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
                target = ".".join([*base, *(node.module.split(".") if node.module else [])])
            elif node.module and (node.module == "relancegit" or node.module.startswith("relancegit.")):
                target = node.module.removeprefix("relancegit").removeprefix(".")
            else:
                continue
            if target:
                found.add(target)
            else:  # from relancegit import x, y: modules, or names of the package itself
                found.update(alias.name if alias.name in MODULES else "__init__" for alias in node.names)
    return found


MODULES = modules()


def test_every_module_has_a_component():
    unknown = sorted(m for m in MODULES if component(m) not in ALLOWED)
    assert not unknown, f"modules outside the layering table of tests/test_layers.py: {unknown}"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_follow_the_layers(module: str):
    own = component(module)
    bad = []
    for target in sorted(imports(MODULES[module], module)):
        other = component(target)
        if other == own:
            continue
        if other not in ALLOWED[own] or (other == "speed" and own == "read" and module not in SPEED_USERS):
            bad.append(target)
    assert not bad, f"relancegit.{module} ({own}) may not import {bad}; allowed: {sorted(ALLOWED[own])}"


def test_only_the_load_seam_and_the_commands_open_the_speed_door():
    users = {
        m
        for m in MODULES
        if component(m) not in {"speed"} and any(component(t) == "speed" for t in imports(MODULES[m], m))
    }
    assert users <= SPEED_USERS | {m for m in MODULES if component(m) == "commands"}, sorted(users)


def test_the_rules_catch_a_violation(tmp_path: Path):
    """The checker itself: a domain module importing the speed package is reported."""
    bad = tmp_path / "bad.py"
    bad.write_text("from relancegit.speed import cache\n\ndef f():\n    from relancegit import commands\n")
    assert imports(bad, "engine.bad") == {"speed", "commands"}
    assert "speed" not in ALLOWED["engine"] and "commands" not in ALLOWED["engine"]
