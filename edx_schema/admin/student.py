"""Admin for users and the ``student`` and ``user_api`` tables, and the learner page."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Model
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.http import urlencode

from ..admin_site import Area
from ..errors import GradingPolicyError, InvalidKeyError
from ..models import (
    AnonymousUserId,
    Assessment,
    AssessmentPart,
    CohortMembership,
    CourseAccessRole,
    CourseBlock,
    CourseContentBlock,
    CourseEnrollment,
    CourseTeam,
    CourseTeamMembership,
    CourseUserGroup,
    CreditCourse,
    CreditEligibility,
    EmailOptIn,
    ForumRole,
    ForumRoleUser,
    GeneratedCertificate,
    LanguageProficiency,
    PersistentCourseGrade,
    PersistentSubsectionGrade,
    PersistentSubsectionGradeOverride,
    Score,
    ScoreSummary,
    StudentItem,
    StudentModule,
    Submission,
    TrackingEvent,
    UserCourseTag,
    UserIdMap,
    UserProfile,
)
from ..scoring import STUDENTMODULE, SUBMISSION, UNATTEMPTED, SubsectionScore
from ..services.ora import learner_ora_submissions
from ..services.outline import key_text
from ..services.scores import TOLERANCE, learner_scores
from .base import LargeTableAdmin, csv_export_action, may_view
from .display import course_filter, formatted_json, learner_column, learner_link
from .sections import Column, TableSection, render_all

admin.site.unregister(User)


@admin.register(User)
class LearnerAdmin(LargeTableAdmin, UserAdmin):
    """Django's user admin, fit for a million learners, with a link to each learner's page."""

    area = Area.USERS
    list_display = ("username", "email", "first_name", "last_name", "is_staff", "date_joined", "learner")
    list_filter = ()  # is_staff, is_active and the others have no index in auth_user
    ordering = ("-id",)
    indexed_search = (("id", "id"), ("username", "prefix"), ("email", "prefix"))
    search_help_text = "A user id, or the start of a username or an e-mail address."

    @admin.display(description="learner page")
    def learner(self, obj: User) -> str:
        return learner_link(obj.pk, "open")

    def get_urls(self):
        view = self.admin_site.admin_view(self.learner_view)
        return [path("<int:user_id>/learner/", view, name="edx_schema_learner"), *super().get_urls()]

    def learner_view(self, request, user_id: int):
        """One learner's profile, enrollments, certificates, grades and overrides, roles, cohorts,
        teams, credit eligibility and languages, on one page, with a link to their event timeline.

        Each section needs the view permission of its table, as that table's own list does: a
        staff member who may only view users sees the account, and for each other section a
        note that they may not view it. A table they may not view is not even read.

        A fixed number of queries whatever the learner's data: each table is read once (a
        :data:`LEARNER_TABLES` section: its first rows, linking to the rest), and the subsection
        grades with their overrides in one join.

        The problem scores (``?scores=1``, linked from the page) are computed on request only:
        they read each course's content and scores, a few queries a course (see
        :func:`_problem_scores`).
        """
        if not self.has_view_permission(request):
            raise PermissionDenied
        user = get_object_or_404(User, pk=user_id)
        allowed = {
            section: may_view(request, self.admin_site, model) for section, model in LEARNER_SECTIONS.items()
        }
        allowed["scores"] = all(may_view(request, self.admin_site, model) for model in PROBLEM_SCORE_MODELS)
        sections = _learner_sections(request, self.admin_site, user, allowed)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Learner {user.username} ({user.pk})",
            "learner": user,
            "allowed": allowed,
            "opts": self.model._meta,
            **sections,
            "tables": render_all(LEARNER_TABLES, request, self.admin_site, user),
        }
        if allowed["scores"] and request.GET.get("scores") == "1":
            context["problem_scores"] = _problem_scores(user, sections)
        return TemplateResponse(request, "admin/edx_schema/learner.html", context)


#: The learner page's sections, each shown only to those who may view its table.
LEARNER_SECTIONS = {
    "profile": UserProfile,
    "enrollments": CourseEnrollment,
    "certificates": GeneratedCertificate,
    "course_grades": PersistentCourseGrade,
    "subsections": PersistentSubsectionGrade,
    "overrides": PersistentSubsectionGradeOverride,
    "modules": StudentModule,
    "events": TrackingEvent,  # a link to the learner's event timeline (edx_schema.admin.events)
}


#: What the problem scores section reads and shows, each needing its view permission: courseware
#: state (CSM) scores, the stored subsection grades, and ORA scores from edx-submissions (the
#: course's anonymous ids, the learner's student items, their scores and latest-score summaries).
PROBLEM_SCORE_MODELS = (
    StudentModule,
    PersistentSubsectionGrade,
    StudentItem,
    Score,
    ScoreSummary,
    AnonymousUserId,
)
#: The courses the problem scores section computes, at most (in course key order).
SCORE_COURSES_SHOWN = 20
#: How the section names a problem score's source (edx_schema.scoring).
SOURCE_LABELS = {STUDENTMODULE: "CSM", SUBMISSION: "submissions (ORA)", UNATTEMPTED: "unattempted"}


def _by_user_id(user: User, row: object) -> dict[str, int]:
    """A section's "more" filter: the learner's rows of the table's list, by user id."""
    return {"user__id__exact": user.pk}


def _users_rows(
    *, key: str, title: str, what: str, models: tuple[type[Model], ...], columns: tuple[Column, ...]
) -> TableSection:
    """A section of the learner's rows of ``models[0]`` (by its ``user_id``), in column order."""
    order = [column.field for column in columns]
    return TableSection(
        key=key,
        title=title,
        what=what,
        models=models,
        columns=columns,
        rows=lambda user: models[0].objects.filter(user_id=user.pk).order_by(*order),
        more=_by_user_id,
    )


def _ora_rows(user: User, limit: int) -> list[dict]:
    """The learner's ORA submissions as section rows: the score, and each assessment in a line."""
    rows = []
    for s in learner_ora_submissions(user_id=user.pk, limit=limit):
        score = None if s.points_earned is None else f"{s.points_earned} / {s.points_possible:g}"
        assessed = "; ".join(
            f"{a.score_type} {'-' if a.points is None else a.points} pts by {a.scorer_id}, "
            f"{a.scored_at:%Y-%m-%d %H:%M}"
            for a in s.assessments
        )
        rows.append({**vars(s), "score": score, "assessed": assessed or None})
    return rows


#: The learner page's table sections, in page order: each one query of the learner's rows.
LEARNER_TABLES = (
    _users_rows(
        key="course-roles",
        title="Course roles",
        what="course access roles",
        models=(CourseAccessRole,),
        columns=(
            Column("Course", "course_id", empty="(the whole org)"),
            Column("Org", "org"),
            Column("Role", "role"),
        ),
    ),
    _users_rows(
        key="forum-roles",
        title="Forum roles",
        what="forum roles",
        models=(ForumRoleUser, ForumRole),
        columns=(Column("Course", "role__course_id"), Column("Role", "role__name")),
    ),
    _users_rows(
        key="cohorts",
        title="Cohorts",
        what="cohorts",
        models=(CohortMembership, CourseUserGroup),
        columns=(Column("Course", "course_id"), Column("Cohort", "course_user_group__name")),
    ),
    _users_rows(
        key="teams",
        title="Teams",
        what="teams",
        models=(CourseTeamMembership, CourseTeam),
        columns=(
            Column("Course", "team__course_id"),
            Column("Topic", "team__topic_id"),
            Column("Team", "team__name"),
            Column("Joined", "date_joined"),
        ),
    ),
    TableSection(
        key="credit",
        title="Credit eligibility",
        what="credit eligibility",
        models=(CreditEligibility, CreditCourse),
        # By username, as the LMS keys it: a renamed or retired learner's rows keep the old one.
        columns=(
            Column("Course", "course__course_key"),
            Column("Eligible since", "created"),
            Column("Deadline", "deadline"),
        ),
        rows=lambda user: CreditEligibility.objects.filter(username=user.username).order_by("deadline"),
        more=lambda user, row: {"username__exact": user.username},
    ),
    TableSection(
        key="ora",
        title="ORA submissions",
        what="ORA submissions and their assessments",
        models=(Submission, StudentItem, AnonymousUserId, Score, Assessment, AssessmentPart),
        columns=(
            Column("Course", "course_id"),
            Column("Problem", "item_id"),
            Column("Attempt", "attempt_number"),
            Column("Submitted", "submitted_at"),
            Column("Score", "score", empty="(not scored)"),
            Column("Assessments (type, points, assessor)", "assessed", empty="(none)"),
        ),
        rows=None,
        compute=_ora_rows,
        # By the learner: each course's submissions are under that course's anonymous id.
        more=lambda user, row: {"learner": user.pk},
    ),
    _users_rows(
        key="email-opt-in",
        title="E-mail opt-in",
        what="e-mail opt-in preferences",
        models=(EmailOptIn,),
        columns=(
            Column("Org", "org"),
            Column("Course", "course_id"),
            Column("Opted in", "is_opted_in_for_email"),
            Column("Chosen", "preference_set_datetime", empty="(never: the exporter's default)"),
        ),
    ),
    TableSection(
        key="languages",
        title="Language proficiencies",
        what="language proficiencies",
        models=(LanguageProficiency,),
        columns=(Column("Language", "code"),),
        rows=lambda user: LanguageProficiency.objects.filter(user_profile__user_id=user.pk).order_by("code"),
        more=lambda user, row: {"user_profile__id__exact": row["user_profile_id"]},
        fields=("user_profile_id",),
    ),
)


def _learner_sections(request, site: admin.AdminSite, user: User, allowed: dict[str, bool]) -> dict:
    """The data of the learner page's sections ``allowed`` lets the request's user view."""
    sections: dict = {}
    if allowed["profile"]:
        sections["profile"] = UserProfile.objects.filter(user=user).first()
    if allowed["enrollments"]:
        sections["enrollments"] = list(CourseEnrollment.objects.filter(user=user).order_by("course_id"))
    if allowed["certificates"]:
        sections["certificates"] = list(GeneratedCertificate.objects.filter(user=user).order_by("course_id"))
    if allowed["course_grades"]:
        sections["course_grades"] = list(
            PersistentCourseGrade.objects.filter(user_id=user.pk).order_by("course_id")
        )
    if allowed["subsections"]:
        # By (course_id, user_id): the table's indexes lead with the course, not the user. The
        # courses are the enrollments' and course grades', read here if those are not shown.
        enrollments = sections.get(
            "enrollments", CourseEnrollment.objects.filter(user=user).only("course_id")
        )
        graded = sections.get(
            "course_grades", PersistentCourseGrade.objects.filter(user_id=user.pk).only("course_id")
        )
        courses = {row.course_id for row in enrollments} | {row.course_id for row in graded}
        subsections = PersistentSubsectionGrade.objects.filter(
            course_id__in=sorted(courses, key=str), user_id=user.pk
        ).order_by("course_id", "usage_key")
        if allowed["overrides"]:
            subsections = subsections.select_related("override")
        sections["subsections"] = list(subsections)
        overrides = site.get_model_admin(PersistentSubsectionGradeOverride)
        sections["may_add_override"] = overrides.has_add_permission(request)
        sections["may_change_override"] = overrides.has_change_permission(request)
    if allowed["modules"]:
        modules = (
            StudentModule.objects.filter(student=user)
            .values("course_id")
            .annotate(rows=Count("id"))
            .order_by("course_id")
        )
        sections["modules"] = [
            {
                **row,
                "url": reverse("admin:edx_schema_studentmodule_changelist")
                + "?"
                + urlencode({"student__id__exact": user.pk, "course_id": row["course_id"]}),
            }
            for row in modules
        ]
    return sections


def _problem_scores(user: User, sections: dict) -> dict:
    """The learner's subsection grades computed from problem scores, with each problem's score
    and its source, in the courses they are enrolled in or have courseware state in (the first
    :data:`SCORE_COURSES_SHOWN` in key order); next to each subsection, its stored grade.

    Per course, :func:`~edx_schema.services.scores.learner_scores`'s queries (its content, the
    learner's scores); then one query for the display names of all courses' blocks (and one
    more, for the OLX's names, if some block has none in the outline) and one for the learner's
    stored subsection grades. None per subsection or problem.
    """
    enrollments = sections.get("enrollments")
    if enrollments is None:  # not shown: the section may still list the learner's courses
        enrollments = CourseEnrollment.objects.filter(user=user).only("course_id")
    # The courseware state section's courses (the section needs the same permission, and more).
    modules = sections["modules"]
    every = sorted({str(e.course_id) for e in enrollments} | {str(m["course_id"]) for m in modules})
    computed: list[tuple[str, list[SubsectionScore] | str]] = []
    for course_id in every[:SCORE_COURSES_SHOWN]:
        try:
            computed.append((course_id, learner_scores(course_id=course_id, user_id=user.pk)))
        except (GradingPolicyError, InvalidKeyError) as error:  # no content, or a key that does not parse
            computed.append((course_id, str(error)))
    graded = [course_id for course_id, scores in computed if not isinstance(scores, str)]
    names, stored = _display_names(graded), _stored_grades(user, graded)
    shown = []
    for course_id, scores in computed:
        if isinstance(scores, str):
            shown.append({"course_id": course_id, "error": scores, "subsections": []})
            continue
        subsections = [
            _subsection_rows(course_id, score, names, stored.get((course_id, score.usage_key)))
            for score in scores
        ]
        shown.append({"course_id": course_id, "error": None, "subsections": subsections})
    return {"courses": shown, "more": max(len(every) - SCORE_COURSES_SHOWN, 0)}


def _stored_grades(user: User, courses: list[str]) -> dict[tuple[str, str], tuple[float, float]]:
    """The learner's stored graded earned and possible points by (course, subsection)."""
    if not courses:
        return {}
    rows = PersistentSubsectionGrade.objects.filter(course_id__in=courses, user_id=user.pk).values_list(
        key_text("course_id"), key_text(), "earned_graded", "possible_graded"
    )
    return {(course_id, key): (earned, possible) for course_id, key, earned, possible in rows}


def _display_names(courses: Iterable[str]) -> dict[tuple[str, str], str]:
    """Each block's display name by (course, usage key): the outline's, else the OLX's."""
    courses = list(courses)
    if not courses:
        return {}
    names: dict[tuple[str, str], str] = {}
    unnamed = set()
    for course_id, key, name in CourseBlock.objects.filter(course_id__in=courses).values_list(
        key_text("course_id"), key_text(), "display_name"
    ):
        if name:
            names[course_id, key] = name
        else:
            unnamed.add(course_id)
    # A course from before course structures has the OLX alone, and a block without a name in
    # the outline may have one in the OLX's settings.
    without_outline = set(courses) - {course_id for course_id, _key in names} - unnamed
    olx = unnamed | without_outline
    if olx:
        for course_id, key, settings in CourseContentBlock.objects.filter(
            course_id__in=sorted(olx)
        ).values_list(key_text("course_id"), key_text(), "settings"):
            name = settings.get("display_name") if isinstance(settings, dict) else None
            if name and (course_id, key) not in names:
                names[course_id, key] = str(name)
    return names


def _subsection_rows(
    course_id: str,
    score: SubsectionScore,
    names: dict[tuple[str, str], str],
    stored: tuple[float, float] | None,
) -> dict:
    """One subsection's header (computed and stored grade) and its problems, as text for the page."""
    differs = stored is not None and (
        abs(stored[0] - score.earned_graded) > TOLERANCE or abs(stored[1] - score.possible_graded) > TOLERANCE
    )
    return {
        "usage_key": score.usage_key,
        "name": names.get((course_id, score.usage_key), ""),
        "earned": _number(score.earned_graded),
        "possible": _number(score.possible_graded),
        "first_attempted": score.first_attempted,
        "stored": None if stored is None else f"{_number(stored[0])} / {_number(stored[1])}",
        "differs": differs,
        "uncertain": score.uncertain,
        "problems": [
            {
                "usage_key": problem.usage_key,
                "name": names.get((course_id, problem.usage_key), ""),
                "score": f"{_number(problem.earned)} / {_number(problem.possible)}",
                "raw": (
                    None
                    if problem.raw_possible is None
                    else f"{_number(problem.raw_earned)} / {_number(problem.raw_possible)}"
                ),
                "weight": _number(problem.weight),
                "graded": problem.graded,
                "source": SOURCE_LABELS.get(problem.source, problem.source),
                "first_attempted": problem.first_attempted,
            }
            for problem in score.problems
        ],
    }


def _number(value: float | int | None) -> str:
    """A score as the page shows it: up to four decimals, without trailing zeros; "-" for none."""
    if value is None:
        return "-"
    text = f"{float(value):.4f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


@admin.register(UserProfile)
class UserProfileAdmin(LargeTableAdmin):
    area = Area.USERS
    list_display = (
        "id",
        learner_column(),
        "name",
        "gender",
        "year_of_birth",
        "level_of_education",
        "country",
    )
    list_filter = ("gender", "level_of_education")
    raw_id_fields = ("user",)
    readonly_fields = (formatted_json("meta", "meta (formatted)"),)
    indexed_search = (("user_id", "id"), ("name", "prefix"))
    search_help_text = "A user id, or the start of a full name."


@admin.register(CourseEnrollment)
class CourseEnrollmentAdmin(LargeTableAdmin):
    area = Area.ENROLLMENT
    list_display = ("id", learner_column(), "course_id", "mode", "is_active", "created")
    list_filter = (course_filter(), ("created", admin.DateFieldListFilter))
    raw_id_fields = ("user",)
    indexed_search = (("user_id", "id"), ("course_id", "exact"))
    search_help_text = "A user id or a course key."
    actions = [
        csv_export_action("user_id", "course_id", "mode", "is_active", "created", filename="enrollments.csv")
    ]


@admin.register(AnonymousUserId)
class AnonymousUserIdAdmin(LargeTableAdmin):
    area = Area.USERS
    list_display = ("id", learner_column(), "anonymous_user_id", "course_id")
    list_filter = (course_filter(),)
    raw_id_fields = ("user",)
    indexed_search = (("anonymous_user_id", "exact"), ("user_id", "id"), ("course_id", "exact"))
    search_help_text = "An anonymous user id, a user id or a course key."


@admin.register(UserIdMap)
class UserIdMapAdmin(LargeTableAdmin):
    area = Area.USERS
    list_display = ("hash_id", learner_column(), "username")
    raw_id_fields = ("user",)
    ordering = ("hash_id",)
    indexed_search = (("hash_id", "exact"), ("user_id", "id"))
    search_help_text = "A hash id or a user id."


@admin.register(UserCourseTag)
class UserCourseTagAdmin(LargeTableAdmin):
    area = Area.USERS
    list_display = ("id", learner_column(), "course_id", "key", "value")
    list_filter = (course_filter(),)
    raw_id_fields = ("user",)
    indexed_search = (("user_id", "id"), ("key", "exact"), ("course_id", "exact"))
    search_help_text = "A user id, a tag key or a course key."
