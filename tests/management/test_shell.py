"""``manage.py shell`` starts with every model imported, the override history's included."""

import os
import subprocess
import sys
from importlib import import_module
from pathlib import Path

from django.apps import apps

ROOT = Path(__file__).resolve().parents[2]


def test_every_model_is_importable_from_the_module_it_names():
    # Django 5.2's shell imports each model as `from <model.__module__> import <name>`.
    for model in apps.get_models():
        assert getattr(import_module(model.__module__), model.__name__, None) is model, model


def test_the_shell_starts_without_a_model_it_could_not_import(tmp_path):
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    code = "print(HistoricalPersistentSubsectionGradeOverride._meta.db_table)"  # auto-imported, or NameError
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "could not be automatically imported" not in done.stdout + done.stderr
    assert "grades_historicalpersistentsubsectiongradeoverride" in done.stdout
