"""The app's layers: nothing in the app imports the testing kit, except ``manage.py load_demo``.

The testing kit (factories, builders, the demo data set) is for test suites and the demo: an
app module that imported it would make factory-boy's defaults part of the app's behaviour.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "edx_schema"
TESTING = "edx_schema.testing"
#: The one module outside the testing kit allowed to import it.
LOAD_DEMO = APP / "management" / "commands" / "load_demo.py"
DYNAMIC_IMPORTS = {"import_module", "import_string", "__import__"}


def module_name(path: Path) -> str:
    """``edx_schema/services/overrides.py`` -> ``edx_schema.services.overrides`` (a package: its name)."""
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(source: str, *, package: str) -> set[str]:
    """Every module ``source`` imports, absolute, wherever the import is (a function's body too).

    ``package`` is the package relative imports start from. ``from a import b`` counts as ``a``
    and ``a.b`` (b may be a module); ``import_module("x")`` and ``import_string("x.Y")`` with a
    literal count as ``x`` and ``x.Y``.
    """
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            parts = package.split(".")
            base = ".".join(parts[: len(parts) - node.level + 1]) if node.level else ""
            module = ".".join(filter(None, (base, node.module)))
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "id", getattr(node.func, "attr", None)) in DYNAMIC_IMPORTS
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.add(node.args[0].value)
    return found


def kit_imports(source: str, *, package: str) -> list[str]:
    """The modules of the testing kit that ``source`` imports."""
    found = imported_modules(source, package=package)
    return sorted(m for m in found if m == TESTING or m.startswith(TESTING + "."))


def kit_imports_of(path: Path) -> list[str]:
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    return kit_imports(path.read_text(encoding="utf-8"), package=package)


def app_modules() -> list[Path]:
    return sorted(p for p in APP.rglob("*.py") if "__pycache__" not in p.parts)


def test_no_app_module_outside_the_kit_imports_it_but_the_load_demo_command():
    found = {
        module_name(path): kit_imports_of(path)
        for path in app_modules()
        if APP / "testing" not in path.parents and path != LOAD_DEMO
    }
    assert len(found) > 50  # the whole app was read
    assert {module: imports for module, imports in found.items() if imports} == {}


def test_the_check_sees_every_way_of_importing_a_module():
    # The check above passes only if it would see an import: every spelling of one, here.
    samples = {
        "absolute": "import edx_schema.testing.factories",
        "from": "from edx_schema.testing import factories",
        "relative": "from ..testing import factories",
        "relative package": "from .. import testing",
        "in a function": "def f():\n    from ..testing.demo import load_demo",
        "dynamic": "import importlib\nimportlib.import_module('edx_schema.testing.demo')",
    }
    for name, source in samples.items():
        assert kit_imports(source, package="edx_schema.services"), name
    assert kit_imports("from ..testing import x", package="edx_schema.services.sub") == []
    assert kit_imports_of(LOAD_DEMO) == [
        "edx_schema.testing.demo",
        "edx_schema.testing.demo.load_demo",
    ]
