"""Event families: which research questions an event type serves (video, problem, navigation, ...).

From the edX Research Guide's event pages and the peers' queries (simeon's reports, MIT's fact
tables, vismooc): ``event_type`` is the filter with historical continuity, since newer events
carry a ``name`` while keeping the legacy ``event_type``.

Pure: no Django import.
"""

from __future__ import annotations

VIDEO = "video"
PROBLEM = "problem"
NAVIGATION = "navigation"
FORUM = "forum"
ENROLLMENT = "enrollment"
GRADES = "grades"
IMPLICIT = "implicit"
OTHER = "other"

#: Every family, in the order the admin lists them.
FAMILIES: tuple[str, ...] = (VIDEO, PROBLEM, NAVIGATION, FORUM, ENROLLMENT, GRADES, IMPLICIT, OTHER)
#: What each family is, for the admin's filter and chart.
FAMILY_LABELS: dict[str, str] = {
    VIDEO: "video",
    PROBLEM: "problem",
    NAVIGATION: "navigation",
    FORUM: "forum",
    ENROLLMENT: "enrollment",
    GRADES: "grades",
    IMPLICIT: "page request (implicit)",
    OTHER: "other",
}

_TYPES = {
    VIDEO: (
        "load_video",
        "play_video",
        "pause_video",
        "seek_video",
        "stop_video",
        "complete_video",
        "speed_change_video",
        "show_transcript",
        "hide_transcript",
        "video_show_cc_menu",
        "video_hide_cc_menu",
    ),
    PROBLEM: (
        "problem_check",
        "problem_check_fail",
        "save_problem_check",
        "problem_graded",
        "problem_show",
        "problem_reset",
        "problem_save",
        "problem_rescore",
        "problem_rescore_fail",
        "showanswer",
        "show_answer",
        "reset_problem",
        "reset_problem_fail",
        "save_problem_success",
        "save_problem_fail",
    ),
    NAVIGATION: ("seq_goto", "seq_next", "seq_prev", "page_close"),
}
#: event_type -> family, for the types named one by one.
FAMILY_OF_TYPE: dict[str, str] = {t: family for family, types in _TYPES.items() for t in types}
#: Prefixes of event_type (or name) -> family, tried in order.
FAMILY_PREFIXES: tuple[tuple[str, str], ...] = (
    ("edx.video.", VIDEO),
    ("edx.problem.", PROBLEM),
    ("edx.ui.lms.", NAVIGATION),
    ("edx.forum.", FORUM),
    ("edx.course.enrollment.", ENROLLMENT),
    ("edx.grades.", GRADES),
    ("edx.course.grade.", GRADES),
)
