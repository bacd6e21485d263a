"""The builder's course content and grades: a Studio OLX export of the whole course, and subsection
grades that the LMS's rules give back from the package's own studentmodule rows, ORA scores and
content.

Everything is read back from the written package (never from the builder's modules): the OLX is
parsed as XML, the problems' maximum scores counted from their capa responses, and the subsection
totals recomputed here by the LMS's rules (research: problem_scores.md sections 1-5), by hand for
one learner and by :func:`lms_subsection_grades` for all.
"""

from __future__ import annotations

import datetime
import io
import json
import tarfile
from collections import Counter
from xml.etree import ElementTree

import pytest

from edx_schema.package.builder import PackageSpec, build_package
from edx_schema.package.source import open_member, open_package
from tests.package.built import table_rows

CS_KEY = "course-v1:UniversityX+CS-101x+3T2024"
HIST_KEY = "UniversityX/HIST.2x/2013_Spring"
#: Capa's response and input types (the LMS's registries), enough for the templates.
RESPONSES = {
    "optionresponse",
    "numericalresponse",
    "customresponse",
    "choiceresponse",
    "multiplechoiceresponse",
    "stringresponse",
    "formularesponse",
}
INPUTS = {"optioninput", "formulaequationinput", "textline", "checkboxgroup", "choicegroup", "textbox"}
#: Each problem's raw maximum, counted by hand from its capa XML (the templates go round in 4).
RAW_MAXIMA = {"p0000": 2, "p0001": 5, "p0002": 1, "p0003": 3, "p0004": 2, "p0005": 5, "p0006": 1, "p0007": 3}
#: Each problem's weight (None: unset), by hand; p0006 is in the essay's subsection, where
#: every problem has one.
WEIGHTS = {"p0000": 1.5, "p0001": None, "p0002": 2.5, "p0003": 5.0, "p0004": None, "p0005": 1.5, "p0006": 3.0}


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    """The sample package's spec (fixtures/): 20 learners, 8 problems, two courses."""
    return open_package(build_package(spec=PackageSpec(), output=tmp_path_factory.mktemp("sample")).path)


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    return open_package(
        build_package(spec=PackageSpec(learners=6, problems=4), output=tmp_path_factory.mktemp("small")).path
    )


ENTITIES = {CS_KEY: "UniversityX-CS-101x-3T2024", HIST_KEY: "UniversityX-HIST.2x-2013_Spring"}


def member(package, kind: str, course_key: str):
    (found,) = [m for m in package.members if m.name.kind == kind and m.name.entity == ENTITIES[course_key]]
    return found


def structure(package, course_key: str) -> dict:
    with open_member(package, member(package, "course_structure", course_key)) as stream:
        return json.load(stream)


def olx(package, course_key: str) -> dict[str, bytes]:
    """The OLX export's files by path under its top folder."""
    with (
        open_member(package, member(package, "course_olx", course_key)) as stream,
        tarfile.open(fileobj=io.BytesIO(stream.read())) as tar,
    ):
        files = {info.name: tar.extractfile(info).read() for info in tar.getmembers() if info.isfile()}
    tops = {name.split("/", 1)[0] for name in files}
    assert len(tops) == 1
    return {name.split("/", 1)[1]: data for name, data in files.items()}


def rows(package, table: str, course_key: str) -> list[dict]:
    return [row for row in table_rows(package, table) if row["course_id"] == course_key]


def capa_max(problem: ElementTree.Element) -> int:
    """A capa problem's maximum: each input of each response is worth its points (1 if unset)."""
    return sum(
        int(field.get("points", "1"))
        for response in problem.iter()
        if response.tag in RESPONSES
        for field in response.iter()
        if field.tag in INPUTS
    )


def rubric_max(essay: ElementTree.Element) -> int:
    return sum(
        max(int(option.get("points")) for option in criterion.iter("option"))
        for criterion in essay.find("rubric").iter("criterion")
    )


def setting(text: str):
    """An OLX attribute as the LMS's fields read it (JSON first: ``2.5``, ``true``, lists)."""
    try:
        return json.loads(text)
    except ValueError:
        return text


class OlxCourse:
    """An OLX export read as the LMS's XML import reads a Studio export: pointers to files."""

    def __init__(self, files: dict[str, bytes]) -> None:
        self.files = files
        root = ElementTree.fromstring(files["course.xml"])
        assert root.tag == "course"
        assert set(root.attrib) == {"url_name", "org", "course"}
        self.url_name = root.get("url_name")
        self.policy = json.loads(files[f"policies/{self.url_name}/policy.json"])
        self.blocks: dict[tuple[str, str], dict] = {}
        self.read("course", self.url_name)

    def read(self, tag: str, url_name: str) -> None:
        element = ElementTree.fromstring(self.files[f"{tag}/{url_name}.xml"])
        assert element.tag == tag
        settings = {name: setting(value) for name, value in element.attrib.items() if name != "filename"}
        settings.update(self.policy.get(f"{tag}/{url_name}", {}))
        children = []
        for child in element:
            if tag in ("problem", "openassessment"):
                break  # content, not blocks
            assert set(child.attrib) == {"url_name"}
            assert not len(child)
            assert not (child.text or "").strip()
            children.append((child.tag, child.get("url_name")))
            self.read(child.tag, child.get("url_name"))
        self.blocks[(tag, url_name)] = {"settings": settings, "children": children, "element": element}


# -- the course content ------------------------------------------------------------------------


@pytest.mark.parametrize("course_key", [CS_KEY, HIST_KEY])
def test_the_olx_is_a_studio_export_of_the_course_structure(sample, course_key):
    blocks = structure(sample, course_key)
    course = OlxCourse(olx(sample, course_key))
    # Every block of the structure, and only those, with the same children in the same order
    # and the same settings (the structure's metadata: own settings only).
    keys = {
        key: (block["category"], key.rsplit("@", 1)[-1].rsplit("/", 1)[-1]) for key, block in blocks.items()
    }
    assert sorted(keys.values()) == sorted(course.blocks)
    for key, block in blocks.items():
        olx_block = course.blocks[keys[key]]
        assert [keys[child] for child in block["children"]] == olx_block["children"], key
        assert block["metadata"] == olx_block["settings"], key
    categories = Counter(block["category"] for block in blocks.values())
    assert categories == {
        "course": 1,
        "chapter": 1,
        "sequential": 4,
        "vertical": 4,
        "problem": 8,
        "openassessment": 1,
        "html": 1,
        "video": 3,
    }
    # The grading policy beside the course's policy.
    assert json.loads(course.files[f"policies/{course.url_name}/grading_policy.json"])["GRADE_CUTOFFS"] == {
        "Pass": 0.6
    }
    assert course.files["html/welcome.html"].startswith(b"<p>")


def test_each_problem_has_its_capa_xml_weight_and_graded_setting(sample):
    course = OlxCourse(olx(sample, CS_KEY))
    blocks = structure(sample, CS_KEY)
    problems = {url: b for (tag, url), b in course.blocks.items() if tag == "problem"}
    assert {url: capa_max(b["element"]) for url, b in problems.items()} == RAW_MAXIMA
    # The final exam's problem, p0007, has a weight too (2.5, of 3 raw points).
    assert {url: b["settings"].get("weight") for url, b in problems.items()} == {**WEIGHTS, "p0007": 2.5}
    assert {url for url, b in problems.items() if "graded" in b["settings"]} == {"p0000"}
    assert problems["p0000"]["settings"]["graded"] is False
    key = "block-v1:UniversityX+CS-101x+3T2024+type@problem+block@"
    assert {url: blocks[key + url]["metadata"].get("weight") for url in problems} == {**WEIGHTS, "p0007": 2.5}
    assert blocks[key + "p0000"]["metadata"]["graded"] is False
    # The numeric template: a numericalresponse and a customresponse of three textlines, one
    # worth 2 points.
    numeric = problems["p0001"]["element"]
    assert [r.tag for r in numeric if r.tag in RESPONSES] == ["numericalresponse", "customresponse"]
    assert [t.get("points") for t in numeric.iter("textline")] == [None, "2", None]


def test_the_essay_is_in_the_first_homework_after_its_first_problem(sample):
    blocks = structure(sample, CS_KEY)
    prefix = "block-v1:UniversityX+CS-101x+3T2024+type@"
    essay_key = prefix + "openassessment+block@essay"
    (vertical,) = blocks[prefix + "sequential+block@hw1"]["children"]
    assert [child.split("+type@")[1] for child in blocks[vertical]["children"]] == [
        "html+block@welcome",
        f"video+block@{blocks[vertical]['children'][1].rsplit('@', 1)[1]}",
        "problem+block@p0000",
        "openassessment+block@essay",
        "problem+block@p0003",
        "problem+block@p0006",
    ]
    assert blocks[essay_key] == {
        "category": "openassessment",
        "children": [],
        "metadata": {"display_name": "Essay", "text_response": "required", "weight": 6.0},
    }
    # The essay's items are this block, its rubric's maximum the points possible of its scores.
    course = OlxCourse(olx(sample, CS_KEY))
    assert rubric_max(course.blocks[("openassessment", "essay")]["element"]) == 3
    items = rows(sample, "submissions_studentitem", CS_KEY)
    assert {item["item_id"] for item in items} == {essay_key}
    assert {score["points_possible"] for score in table_rows(sample, "submissions_score")} == {"3"}
    # Learners are named by their anonymous id in the course.
    anonymous = {
        r["anonymous_user_id"]: r["user_id"] for r in rows(sample, "student_anonymoususerid", CS_KEY)
    }
    assert {item["student_id"] for item in items} <= set(anonymous)


def test_studentmodule_rows_are_attempted_or_only_opened(small):
    modules = table_rows(small, "courseware_studentmodule")
    assert len(modules) == (6 + 3) * 4  # one per enrolled learner and problem, as ever
    opened = [m for m in modules if m["grade"] is None]
    assert opened
    assert len(opened) < len(modules) / 3
    for module in opened:
        assert module["max_grade"] is None
        assert set(json.loads(module["state"])) == {"seed"}
        assert module["created"] == module["modified"]
    for module in modules:
        if module["grade"] is not None:
            url = module["module_id"].rsplit("@", 1)[-1].rsplit("/", 1)[-1]
            assert float(module["max_grade"]) == RAW_MAXIMA[url]
            assert 0 <= float(module["grade"]) <= float(module["max_grade"])
            state = json.loads(module["state"])
            points = [entry["npoints"] for entry in state["correct_map"].values()]
            assert state["attempts"] >= 1
            assert len(points) == RAW_MAXIMA[url] - (url == "p0001")
            assert module["modified"] > module["created"]
    assert len({m["created"] for m in modules}) > len(modules) / 2  # each its own first-view time


# -- subsection grades -------------------------------------------------------------------------


def test_a_learners_subsection_grades_checked_by_hand(sample):
    """Learner 18 in CS-101x: an essay regraded down, an ungraded problem, rows never submitted."""
    grades = {
        r["usage_key"].rsplit("@", 1)[-1]: r
        for r in rows(sample, "grades_persistentsubsectiongrade", CS_KEY)
        if r["user_id"] == "18"
    }
    modules = {
        m["module_id"].rsplit("@", 1)[-1]: m
        for m in rows(sample, "courseware_studentmodule", CS_KEY)
        if m["student_id"] == "18"
    }
    scores = [s for s in table_rows(sample, "submissions_score") if s["student_item_id"] == "18"]

    def module(url):
        m = modules[url]
        return m["grade"], m["max_grade"], m["created"]

    # hw1 = p0000 (weight 1.5, graded false), the essay (weight 6), p0003 (weight 5), p0006 (weight 3).
    assert module("p0000") == ("2.0", "2.0", "2024-08-20 17:41:20")
    assert [(s["id"], s["points_earned"], s["points_possible"], s["created_at"]) for s in scores] == [
        ("18", "2", "3", "2024-08-07 03:21:49.120000"),
        ("1000000018", "0", "3", "2024-08-09 05:21:49.120000"),  # the latest: staff regraded it down
    ]
    assert module("p0003") == (None, None, "2024-08-09 15:23:10")  # opened, never submitted
    assert module("p0006") == ("1.0", "1.0", "2024-08-31 11:44:24")
    # Weighted: p0000 2/2 -> 1.5 of 1.5 (not graded); the essay 0 of 3 (its latest score, weight
    # not applied); p0003 0 of its weight 5; p0006 1/1 -> 3 of 3.
    hw1 = grades["hw1"]
    assert (hw1["earned_all"], hw1["possible_all"]) == (str(1.5 + 0 + 0.0 + 3.0), str(1.5 + 3 + 5.0 + 3.0))
    assert (hw1["earned_graded"], hw1["possible_graded"]) == (str(0 + 0.0 + 3.0), str(3 + 5.0 + 3.0))
    assert (hw1["earned_all"], hw1["possible_graded"]) == ("4.5", "11.0")
    # The earliest attempt: the essay's latest score (p0003's row, though older than p0000's
    # and p0006's, was never submitted).
    assert hw1["first_attempted"] == "2024-08-09 05:21:49.120000"
    # hw3 = p0002 (weight 2.5, 1 raw point), p0005 (weight 1.5, 5 raw points).
    assert module("p0002") == (None, None, "2024-08-07 18:31:56")
    assert module("p0005") == ("2.5", "5.0", "2024-08-26 01:30:33")
    hw3 = grades["hw3"]
    assert (hw3["earned_all"], hw3["possible_all"]) == (str(0.0 + 2.5 * 1.5 / 5.0), str(2.5 + 1.5))
    assert (hw3["earned_graded"], hw3["possible_graded"], hw3["first_attempted"]) == (
        "0.75",
        "4.0",
        "2024-08-26 01:30:33",
    )
    # hw2 = p0001 and p0004, both unweighted: worth their raw maxima.
    assert (module("p0001")[1], module("p0004")[1]) == ("5.0", "2.0")
    assert (grades["hw2"]["possible_all"], grades["hw2"]["possible_graded"]) == ("7.0", "7.0")


def lms_subsection_grades(package, course_key: str) -> dict[tuple[str, str], dict]:
    """Every learner's subsection grades as the LMS computes them from the package, by (user, block id).

    Per graded subsection, its scored blocks in document order: the latest essay score (greatest
    id) if any, unweighted; else the studentmodule row if its max_grade is set, weighted; else 0
    of the content's maximum, weighted. Graded: possible above 0 and not set ``graded: false``.
    A subsection no block was attempted in has no grade.
    """
    blocks = structure(package, course_key)
    course = OlxCourse(olx(package, course_key))
    maxima = {}
    for (tag, url), block in course.blocks.items():
        if tag == "problem":
            maxima[url] = capa_max(block["element"])
        elif tag == "openassessment":
            maxima[url] = rubric_max(block["element"])
    users = {
        r["anonymous_user_id"]: r["user_id"] for r in rows(package, "student_anonymoususerid", course_key)
    }
    items = {i["id"]: users[i["student_id"]] for i in rows(package, "submissions_studentitem", course_key)}
    latest: dict[str, dict] = {}
    for score in table_rows(package, "submissions_score"):
        user = items.get(score["student_item_id"])
        if user is not None and (user not in latest or int(score["id"]) > int(latest[user]["id"])):
            latest[user] = score
    modules = {
        (m["student_id"], m["module_id"]): m for m in rows(package, "courseware_studentmodule", course_key)
    }
    learners = [r["user_id"] for r in rows(package, "student_courseenrollment", course_key)]

    def scored(key):  # post order through containers; html and video are neither
        block = blocks[key]
        if block["category"] in ("problem", "openassessment"):
            return [key]
        if block["category"] in ("vertical", "sequential"):
            return [k for child in block["children"] for k in scored(child)]
        return []

    def time(text):
        return datetime.datetime.fromisoformat(text)

    result = {}
    for key, block in blocks.items():
        if block["category"] != "sequential":
            continue
        for user in learners:
            scores = []
            attempts = []
            for problem in scored(key):
                meta = blocks[problem]["metadata"]
                url = problem.rsplit("@", 1)[-1].rsplit("/", 1)[-1]
                weight = meta.get("weight")
                if blocks[problem]["category"] == "openassessment" and user in latest:
                    earned, possible = (
                        int(latest[user]["points_earned"]),
                        int(latest[user]["points_possible"]),
                    )
                    attempts.append(time(latest[user]["created_at"]))
                else:
                    row = modules.get((user, problem))
                    if row is not None and row["max_grade"] is not None:
                        raw = (float(row["grade"] or 0.0), float(row["max_grade"]))
                        if row["grade"] is not None:
                            attempts.append(time(row["created"]))
                    else:
                        raw = (0, maxima[url])
                    if weight is None or raw[1] == 0:
                        earned, possible = raw
                    else:
                        earned, possible = float(raw[0]) * weight / raw[1], float(weight)
                scores.append((earned, possible, possible > 0 and meta.get("graded") is not False))
            if attempts:
                result[(user, key.rsplit("@", 1)[-1].rsplit("/", 1)[-1])] = {
                    "earned_all": float(sum(e for e, _p, _g in scores)),
                    "possible_all": float(sum(p for _e, p, _g in scores)),
                    "earned_graded": float(sum(e for e, _p, g in scores if g)),
                    "possible_graded": float(sum(p for _e, p, g in scores if g)),
                    "first_attempted": min(attempts),
                }
    return result


@pytest.mark.parametrize("course_key", [CS_KEY, HIST_KEY])
def test_every_subsection_grade_is_the_lms_grade_of_the_packages_own_data(sample, course_key):
    expected = lms_subsection_grades(sample, course_key)
    stored = {
        (r["user_id"], r["usage_key"].rsplit("@", 1)[-1].rsplit("/", 1)[-1]): {
            **{
                name: float(r[name])
                for name in ("earned_all", "possible_all", "earned_graded", "possible_graded")
            },
            "first_attempted": datetime.datetime.fromisoformat(r["first_attempted"]),
        }
        for r in rows(sample, "grades_persistentsubsectiongrade", course_key)
    }
    assert stored == expected  # exactly: the same floats, and a row only where something was attempted
    learners = len(rows(sample, "student_courseenrollment", course_key))
    assert len(stored) < 4 * learners  # some learners attempted nothing in some subsection
    # Somewhere the weighting is not exact in binary, and graded totals differ from the totals.
    assert any(g["earned_all"] != round(g["earned_all"], 2) for g in stored.values())
    assert any(g["earned_all"] != g["earned_graded"] for g in stored.values())


def test_week_two_improves_scores_under_the_same_rules(tmp_path):
    spec = PackageSpec(learners=8, problems=8, week=2, date=datetime.date(2024, 11, 24))
    week1 = open_package(build_package(spec=PackageSpec(learners=8, problems=8), output=tmp_path / "1").path)
    week2 = open_package(build_package(spec=spec, output=tmp_path / "2").path)

    def modules(package):
        return {m["id"]: m for m in rows(package, "courseware_studentmodule", CS_KEY)}

    before, after = modules(week1), modules(week2)
    improved = [
        key
        for key in before
        if key in after
        and (before[key]["grade"], before[key]["modified"]) != (after[key]["grade"], after[key]["modified"])
    ]
    assert improved
    for key in improved:
        old, new = before[key], after[key]
        assert new["created"] == old["created"]  # the first view does not move
        assert new["modified"] > old["modified"]
        assert new["grade"] == new["max_grade"]  # full marks
        assert float(new["grade"]) > float(old["grade"] or -1)
    for package in (week1, week2):
        stored = {
            (r["user_id"], r["usage_key"].rsplit("@", 1)[-1]): float(r["earned_all"])
            for r in rows(package, "grades_persistentsubsectiongrade", CS_KEY)
        }
        assert stored == {key: g["earned_all"] for key, g in lms_subsection_grades(package, CS_KEY).items()}
