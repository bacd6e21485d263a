"""``student`` tables: profiles, enrollments and anonymous ids, plus the exported ``user_id_map``."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from model_utils.fields import AutoCreatedField
from opaque_keys.edx.django.models import CourseKeyField, LearningContextKeyField

from ..constants import (
    DEFAULT_ENROLLMENT_MODE,
    ENROLLMENT_MODE_CHOICES,
    GENDER_CHOICES,
    LEVEL_OF_EDUCATION_CHOICES,
)


class UserProfile(models.Model):
    """Demographic data collected at registration; one row per ``auth_user`` row.

    Table ``auth_userprofile``. A superset of the old (``SELECT *``, with ``allow_certificate``
    and ``phone_number``) and the new (explicit columns, from April 2021) export shapes.

    .. pii: name, mailing address, city, country, state, year of birth, gender, education,
       goals, bio, phone number and the old names and emails kept in ``meta``.
    .. pii_types: name, location, birth_date, gender, biography, phone_number, email_address
    .. pii_retirement: local_api
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="profile",
        help_text="The user (auth_user.id) this profile belongs to; unique.",
    )
    name = models.CharField(
        max_length=255,
        blank=True,
        db_index=True,
        help_text="The learner's full name, in no fixed form; never shown to other learners. PII.",
    )
    language = models.CharField(
        max_length=255,
        blank=True,
        db_index=True,
        help_text="Obsolete: preferred language, asked only of the spring 2012 prototype course.",
    )
    location = models.CharField(
        max_length=255,
        blank=True,
        db_index=True,
        help_text="Obsolete: free-text location, asked only of the spring 2012 prototype course. PII.",
    )
    meta = models.TextField(
        blank=True,
        help_text="Free-form JSON: old_names, old_emails and other metadata. PII.",
    )
    courseware = models.CharField(
        max_length=255,
        blank=True,
        default="course.xml",
        help_text="Obsolete: once used for A/B tests.",
    )
    gender = models.CharField(
        max_length=6,
        blank=True,
        null=True,
        db_index=True,
        choices=GENDER_CHOICES,
        help_text="m, f or o; blank when not specified; NULL for prototype-course users. PII.",
    )
    mailing_address = models.TextField(
        blank=True, null=True, help_text="Postal address; blank if not given. PII."
    )
    year_of_birth = models.IntegerField(
        blank=True,
        null=True,
        db_index=True,
        help_text="Year of birth; NULL when not given. PII.",
    )
    level_of_education = models.CharField(
        max_length=6,
        blank=True,
        null=True,
        db_index=True,
        choices=LEVEL_OF_EDUCATION_CHOICES,
        help_text="Highest level of education (p, m, b, a, hs, jhs, el, none, other; "
        "retired p_se, p_oth); blank if not given. PII.",
    )
    goals = models.TextField(blank=True, null=True, help_text="Goals in signing up for edX; free text. PII.")
    allow_certificate = models.BooleanField(
        null=True,
        blank=True,
        help_text="Dropped by the LMS in April 2021; older exports hold it (1 for everyone "
        "since 10 Feb 2014). NULL when the export did not include it.",
    )
    country = models.CharField(
        max_length=2,
        blank=True,
        null=True,
        help_text="Two-letter country code chosen at registration; blank if none. PII.",
    )
    city = models.TextField(blank=True, null=True, help_text="Not used by the LMS. PII.")
    bio = models.CharField(max_length=3000, blank=True, null=True, help_text="Free-text biography. PII.")
    profile_image_uploaded_at = models.DateTimeField(
        null=True, blank=True, help_text="When the learner last uploaded a profile image (UTC)."
    )
    state = models.CharField(
        max_length=2,
        blank=True,
        null=True,
        help_text="US state code (added to the LMS in April 2020). PII.",
    )
    phone_number = models.CharField(
        max_length=50,
        blank=True,
        null=True,
        help_text="Phone number; in old exports only. PII.",
    )

    class Meta:
        db_table = "auth_userprofile"
        verbose_name = "user profile"

    def __str__(self) -> str:
        return f"Profile of user {self.user_id}"


class CourseEnrollment(models.Model):
    """A learner's enrollment in one course run; never deleted, only deactivated.

    Table ``student_courseenrollment``. Filter on ``is_active`` when you mean "enrolled".
    The LMS models ``course`` as a foreign key to ``course_overviews_courseoverview`` without a
    database constraint; here it is the same ``course_id`` column as a plain course key.

    .. no_pii:
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        # The unique key on (user_id, ...) already indexes user_id first.
        db_index=False,
        related_name="course_enrollments",
        help_text="The learner (auth_user.id).",
    )
    course_id = CourseKeyField(
        max_length=255,
        db_index=True,
        help_text="The course run, e.g. course-v1:MITx+6.002x+2012_Fall or MITx/6.002x/2012_Fall.",
    )
    created = AutoCreatedField(
        null=True,
        db_index=True,
        help_text="When the row was created (UTC); NULL on some old rows.",
    )
    is_active = models.BooleanField(
        default=True,
        help_text="1 while enrolled; 0 after unenrolling or an abandoned verified purchase.",
    )
    mode = models.CharField(
        max_length=100,
        default=DEFAULT_ENROLLMENT_MODE,
        choices=ENROLLMENT_MODE_CHOICES,
        help_text="Enrollment track: audit, honor, verified and others; all are 'honor' before 20 Aug 2013.",
    )

    class Meta:
        db_table = "student_courseenrollment"
        ordering = ("user", "course_id")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "course_id"],
                name="student_courseenrollment_user_id_course_id_uniq",
            )
        ]
        indexes = [models.Index(fields=["user", "-created"], name="student_cou_user_id_b19dcd_idx")]
        verbose_name = "course enrollment"

    def __str__(self) -> str:
        return f"{self.user_id} in {self.course_id} ({self.mode})"


class AnonymousUserId(models.Model):
    """Anonymous ids of a user: a generic one (empty ``course_id``) and one per course.

    Table ``student_anonymoususerid``. ``submissions_studentitem.student_id`` holds the per-course
    id, so join submissions to users through the row whose ``course_id`` is that course. One
    user and course can have several rows (after a secret-key rotation); the LMS uses the one
    with the highest ``id``.

    .. no_pii:
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="anonymous_user_ids",
        help_text="The user (auth_user.id).",
    )
    anonymous_user_id = models.CharField(
        max_length=32, unique=True, help_text="32 hex characters (MD5 before 2021, shake_128 since)."
    )
    course_id = LearningContextKeyField(
        max_length=255,
        db_index=True,
        blank=True,
        help_text="The course this id is for; empty for the generic, per-student id.",
    )

    class Meta:
        db_table = "student_anonymoususerid"
        verbose_name = "anonymous user id"

    def __str__(self) -> str:
        return self.anonymous_user_id


class UserIdMap(models.Model):
    """The research exporter's map from an obfuscated id to a user id and username.

    Table ``user_id_map``. No LMS model produces it: the exporter writes it per course. Its user
    id column is named ``id`` (``user_id`` in exports since October 2022). ``hash_id`` is the
    generic anonymous id (an MD5 of the LMS secret key and the user id before October 2022), so
    it does not match the per-course ids in ``submissions_studentitem``.

    .. pii: username.
    .. pii_types: username
    .. pii_retirement: third_party
    """

    hash_id = models.CharField(
        max_length=32,
        primary_key=True,
        help_text="The user id generated to obfuscate the learner's identity.",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        db_column="id",
        related_name="+",
        help_text="The learner's auth_user.id (column id).",
    )
    username = models.CharField(
        max_length=150, help_text="The learner's auth_user.username (redacted when retired). PII."
    )

    class Meta:
        db_table = "user_id_map"
        verbose_name = "user id map entry"
        verbose_name_plural = "user id map"

    def __str__(self) -> str:
        return f"{self.hash_id} -> {self.user_id}"


class LanguageProficiency(models.Model):
    """A language a learner said they speak, on their account settings page.

    Table ``student_languageproficiency``. Tied to the profile (``auth_userprofile.id``), not to
    the user; rows repeat in every course file of the learner. The exporter may ship rows whose
    profile is not there: the foreign key has no database constraint.

    .. no_pii:
    """

    code = models.CharField(max_length=16, help_text="The language's code, e.g. en or pt-br.")
    user_profile = models.ForeignKey(
        UserProfile,
        on_delete=models.CASCADE,
        db_constraint=False,
        related_name="language_proficiencies",
        help_text="The learner's profile (auth_userprofile.id).",
    )

    class Meta:
        db_table = "student_languageproficiency"
        constraints = [
            models.UniqueConstraint(
                fields=["code", "user_profile"],
                name="student_languageproficiency_code_user_profile_id_uniq",
            )
        ]
        verbose_name = "language proficiency"
        verbose_name_plural = "language proficiencies"

    def __str__(self) -> str:
        return f"{self.code} (profile {self.user_profile_id})"
