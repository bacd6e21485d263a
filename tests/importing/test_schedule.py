"""The order ``--jobs`` workers load members in: what they refer to first, one per table, biggest first."""

from __future__ import annotations

import pytest

from edx_schema.importing.packages import load_dependencies
from edx_schema.importing.schedule import LoadSchedule

DEPENDENCIES = {
    "auth_userprofile": frozenset({"auth_user"}),
    "courseware_studentmodule": frozenset({"auth_user"}),
}


def run(schedule: LoadSchedule, workers: int) -> list[list[int]]:
    """The members started at each step, when the members started first finish first."""
    steps, loading = [], []
    while not schedule.done:
        started = schedule.start(workers - len(loading))
        steps.append(started)
        loading.extend(started)
        schedule.finish(loading.pop(0))
    return steps


def test_a_member_waits_for_every_member_of_the_tables_it_refers_to():
    schedule = LoadSchedule(
        ["auth_user", "auth_user", "auth_userprofile", "courseware_studentmodule"],
        [1, 1, 100, 50],
        DEPENDENCIES,
    )
    assert schedule.start(4) == [0]  # the profiles and modules refer to users: they wait
    schedule.finish(0)
    assert schedule.start(3) == [1]
    schedule.finish(1)
    assert schedule.start(3) == [2, 3]  # users loaded: both, the biggest first


def test_two_members_of_one_table_never_load_at_once():
    schedule = LoadSchedule(["courseware_studentmodule"] * 3 + ["auth_user"], [30, 20, 10, 5], {})
    assert schedule.start(4) == [0, 3]
    assert schedule.start(2) == []
    schedule.finish(0)
    assert schedule.start(2) == [1]


def test_every_member_starts_once_whatever_the_workers():
    tables = [
        "auth_user",
        "courseware_studentmodule",
        "auth_userprofile",
        "auth_user",
        "courseware_studentmodule",
    ]
    for workers in (1, 2, 3, 8):
        steps = run(LoadSchedule(tables, [5, 50, 10, 6, 40], DEPENDENCIES), workers)
        started = [index for step in steps for index in step]
        assert sorted(started) == list(range(len(tables)))
        users_done = max(started.index(0), started.index(3))
        assert all(started.index(i) > users_done for i in (1, 2, 4))


def test_the_models_dependencies_let_every_loaded_table_start():
    dependencies = load_dependencies()
    tables = sorted(dependencies)
    steps = run(LoadSchedule(tables, [1] * len(tables), dependencies), workers=2)
    assert sorted(index for step in steps for index in step) == list(range(len(tables)))
    assert "auth_user" in dependencies["courseware_studentmodule"]


def test_a_cycle_is_refused_rather_than_waited_on():
    schedule = LoadSchedule(["a", "b"], [1, 1], {"a": frozenset({"b"}), "b": frozenset({"a"})})
    with pytest.raises(RuntimeError, match="cycle"):
        schedule.start(2)
