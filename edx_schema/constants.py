"""Value lists documented for the LMS tables.

They are offered as admin choices and as named constants, but no database constraint enforces
them: real exports hold values outside every list (retired education codes, new enrollment
modes), and a research copy must keep them.
"""

from __future__ import annotations

#: ``auth_userprofile.gender``. Blank means "not specified"; NULL means "signed up before it was asked".
GENDER_CHOICES: tuple[tuple[str, str], ...] = (
    ("m", "Male"),
    ("f", "Female"),
    ("o", "Other"),
)

#: ``auth_userprofile.level_of_education``, including the two retired doctorate codes.
LEVEL_OF_EDUCATION_CHOICES: tuple[tuple[str, str], ...] = (
    ("p", "Doctorate"),
    ("m", "Master's or professional degree"),
    ("b", "Bachelor's degree"),
    ("a", "Associate's degree"),
    ("hs", "Secondary/high school"),
    ("jhs", "Junior secondary/junior high/middle school"),
    ("el", "Elementary/primary school"),
    ("none", "None"),
    ("other", "Other"),
    ("p_se", "Doctorate in science or engineering (no longer used)"),
    ("p_oth", "Doctorate in another field (no longer used)"),
)

#: ``student_courseenrollment.mode``: the modes seen in exports. The LMS has no DB choices.
ENROLLMENT_MODE_CHOICES: tuple[tuple[str, str], ...] = (
    ("audit", "Audit"),
    ("honor", "Honor"),
    ("verified", "Verified"),
    ("professional", "Professional"),
    ("no-id-professional", "Professional (no ID)"),
    ("credit", "Credit"),
    ("masters", "Master's"),
    ("executive-education", "Executive education"),
    ("paid-executive-education", "Paid executive education"),
    ("paid-bootcamp", "Paid bootcamp"),
)
DEFAULT_ENROLLMENT_MODE = "audit"

#: ``certificates_generatedcertificate.status`` (``CertificateStatuses`` in the LMS).
CERTIFICATE_STATUS_CHOICES: tuple[tuple[str, str], ...] = (
    ("deleted", "Deleted"),
    ("deleting", "Deleting"),
    ("downloadable", "Downloadable"),
    ("error", "Error"),
    ("generating", "Generating"),
    ("notpassing", "Not passing"),
    ("regenerating", "Regenerating"),
    ("restricted", "Restricted (no longer used)"),
    ("unavailable", "Unavailable"),
    ("auditing", "Auditing"),
    ("audit_passing", "Audit, passing"),
    ("audit_notpassing", "Audit, not passing"),
    ("honor_passing", "Honor, passing"),
    ("unverified", "Unverified"),
    ("invalidated", "Invalidated"),
    ("requesting", "Requesting"),
)
#: Statuses the LMS treats as "the learner passed".
CERTIFICATE_PASSED_STATUSES: frozenset[str] = frozenset({"downloadable", "generating"})

#: ``certificates_generatedcertificate.mode``.
CERTIFICATE_MODE_CHOICES: tuple[tuple[str, str], ...] = (
    ("verified", "Verified"),
    ("honor", "Honor"),
    ("audit", "Audit"),
    ("professional", "Professional"),
    ("no-id-professional", "Professional (no ID)"),
    ("masters", "Master's"),
    ("executive-education", "Executive education"),
    ("paid-executive-education", "Paid executive education"),
    ("paid-bootcamp", "Paid bootcamp"),
)

#: ``courseware_studentmodule.module_type``: the block types the spec documents.
MODULE_TYPE_CHOICES: tuple[tuple[str, str], ...] = tuple(
    (value, value)
    for value in (
        "chapter",
        "combinedopenended",
        "conditional",
        "course",
        "crowdsource_hinter",
        "lti",
        "peergrading",
        "poll_question",
        "problem",
        "problemset",
        "randomize",
        "selfassessment",
        "sequential",
        "timelimit",
        "video",
        "videoalpha",
        "videosequence",
        "word_cloud",
    )
)

#: ``courseware_studentmodule.done``. Only ``na`` appears in practice.
DONE_CHOICES: tuple[tuple[str, str], ...] = (
    ("na", "Not applicable"),
    ("f", "Finished"),
    ("i", "Incomplete"),
)

#: ``submissions_submission.status``: the ORM hides deleted submissions, raw SQL does not.
SUBMISSION_STATUS_CHOICES: tuple[tuple[str, str], ...] = (
    ("A", "Active"),
    ("D", "Deleted"),
)

#: ``grades_persistentsubsectiongradeoverride.system``: where an override was made.
OVERRIDE_SYSTEM_CHOICES: tuple[tuple[str, str], ...] = (
    ("GRADEBOOK", "Gradebook"),
    ("PROCTORING", "Proctoring"),
    ("grade-import", "Grade import"),
)
