"""The package's imports point one way: cli → loadtest → runtime → serving/admin → rpc → store
→ lists → engine → model.

Every ``import`` of a suggestfilter module, at the top of a module or inside a
function, is read from the source; an import that reaches a layer above its
own, or across to a sibling of the same layer (serving ↔ admin ↔ client),
fails the test with the line that does it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "service" / "suggestfilter"

# The layer of each part of the package, lowest first. A module may import its
# own part and any part of a strictly lower layer.
LAYERS: dict[str, float] = {
    "_errors": 0,
    "_model": 0,
    "v1": 0,
    "engine": 1,
    "__init__": 1.5,  # the root package re-exports the engine and the model
    "lists": 2,
    "store": 3,
    "rpc": 4,
    "serving": 5,
    "admin": 5,
    "client": 5,
    "runtime": 6,
    "loadtest": 7,
    "cli": 8,
    "__main__": 9,
}


def _part_of(module: str) -> str:
    """The part (sub-package or top-level module) that ``suggestfilter.X.Y`` belongs to."""
    parts = module.split(".")
    assert parts[0] == "suggestfilter", module
    return parts[1] if len(parts) > 1 else "__init__"


def _module_name(path: Path) -> str:
    relative = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(relative.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(source: str, module: str, *, is_package: bool) -> list[tuple[int, str]]:
    """(line, imported suggestfilter module) for every import in ``source``."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                if not is_package:
                    base = base[:-1]
                base = base[: len(base) - node.level + 1]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            if target == "suggestfilter":
                # `from suggestfilter import engine` names a sub-package
                found.extend(
                    (node.lineno, f"suggestfilter.{alias.name}")
                    if alias.name in LAYERS
                    else (node.lineno, "suggestfilter")
                    for alias in node.names
                )
            else:
                found.append((node.lineno, target))
    return [(line, name) for line, name in found if name.split(".")[0] == "suggestfilter"]


def _source_files() -> list[Path]:
    return sorted(
        path for path in PACKAGE.rglob("*.py") if "v1" not in path.relative_to(PACKAGE).parts
    )


def test_every_part_of_the_package_has_a_layer() -> None:
    parts = {_part_of(_module_name(path)) for path in _source_files()}
    assert parts <= set(LAYERS), sorted(parts - set(LAYERS))


def _wrong_way_imports(source: str, module: str, *, is_package: bool = False) -> list[str]:
    own = _part_of(module)
    return [
        f"{module}:{line} imports {name} ({_part_of(name)} is not below {own})"
        for line, name in _imports(source, module, is_package=is_package)
        if _part_of(name) != own and LAYERS[_part_of(name)] >= LAYERS[own]
    ]


@pytest.mark.parametrize("path", _source_files(), ids=lambda path: str(path.relative_to(PACKAGE)))
def test_imports_point_down_the_layers(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    wrong = _wrong_way_imports(source, _module_name(path), is_package=path.name == "__init__.py")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize(
    ("module", "source", "allowed"),
    [
        pytest.param(
            "suggestfilter.engine._x",
            "from suggestfilter.store import a",
            False,
            id="engine-imports-store",
        ),
        pytest.param(
            "suggestfilter.serving._x",
            "import suggestfilter.admin._ops",
            False,
            id="sibling-serving-imports-admin",
        ),
        pytest.param(
            "suggestfilter.store._x",
            "def f():\n    from ..runtime import w",
            False,
            id="lazy-relative-import-upwards",
        ),
        pytest.param(
            "suggestfilter.runtime._x",
            "from suggestfilter.serving import s",
            True,
            id="runtime-imports-serving",
        ),
        pytest.param(
            "suggestfilter.engine._x",
            "from suggestfilter.engine import _fold",
            True,
            id="own-package",
        ),
        pytest.param(
            "suggestfilter._model",
            "from suggestfilter import engine",
            False,
            id="model-imports-engine",
        ),
    ],
)
def test_the_rule_itself(module: str, source: str, allowed: bool) -> None:
    assert (not _wrong_way_imports(source, module)) is allowed
