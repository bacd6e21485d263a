"""The wheel carries the app, its migrations and its factories, and no project or test code."""

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> zipfile.ZipFile:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (path,) = out.glob("edx_schema-*.whl")
    return zipfile.ZipFile(path)


def test_wheel_contains_the_migrations_inside_the_package(wheel):
    names = set(wheel.namelist())
    migrations = sorted(p.name for p in (ROOT / "migrations").glob("0*.py"))
    assert migrations, "the checkout has migrations"
    for name in migrations:
        assert f"edx_schema/migrations/{name}" in names
    assert "edx_schema/migrations/__init__.py" in names


def test_wheel_contains_every_app_module_and_nothing_else(wheel):
    names = {n for n in wheel.namelist() if not n.startswith("edx_schema-")}
    in_checkout = {
        str(p.relative_to(ROOT)) for p in (ROOT / "edx_schema").rglob("*.py") if "__pycache__" not in p.parts
    }
    assert in_checkout <= names
    assert all(n.startswith("edx_schema/") for n in names), sorted(
        n for n in names if not n.startswith("edx_schema/")
    )
    assert "edx_schema/testing/factories.py" in names


def test_wheel_carries_templates_fixtures_and_the_pytest_plugin(wheel):
    names = set(wheel.namelist())
    assert "edx_schema/templates/admin/edx_schema/learner.html" in names
    assert "edx_schema/fixtures/edx_schema_demo_course.json" in names
    assert not any(name.startswith(("tests/", "examples/", "bench/")) for name in names)
    (entry_points,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
    text = wheel.read(entry_points).decode()
    assert "[pytest11]" in text
    assert "edx_schema = edx_schema.testing.pytest_plugin" in text
