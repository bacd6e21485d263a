"""A small course outline for the outline and recompute tests."""

from edx_schema.package.course import Block
from edx_schema.services.outline import save_outline

COURSE = "course-v1:Org+Num+Run"


def key(category, name):
    return f"block-v1:Org+Num+Run+type@{category}+block@{name}"


def outline(*spec):
    """Blocks in course order from (category, name, depth, graded, metadata) tuples."""
    return [
        Block(
            usage_key=key(category, name),
            category=category,
            parent=None,
            position=position,
            depth=depth,
            display_name=name,
            metadata=metadata,
            inherited={"graded": graded, "format": "Homework" if graded else None},
        )
        for position, (category, name, depth, graded, metadata) in enumerate(spec)
    ]


def save_sample_outline():
    """Graded subsections whose possible the outline fixes, or cannot fix, for several reasons."""
    save_outline(
        course_id=COURSE,
        blocks=outline(
            ("course", "course", 0, False, {}),
            ("chapter", "ch1", 1, False, {}),
            ("sequential", "weighted", 2, True, {"graded": True}),
            ("vertical", "v1", 3, True, {}),
            ("problem", "p1", 4, True, {"weight": 2}),
            ("problem", "p2", 4, True, {"weight": 3.5}),
            ("problem", "practice", 4, True, {"weight": 10, "graded": False}),
            ("html", "notes", 4, True, {}),
            ("sequential", "unweighted", 2, True, {"graded": True}),
            ("problem", "p3", 3, True, {"weight": 1}),
            ("problem", "p4", 3, True, {}),
            ("chapter", "ch2", 1, False, {}),
            ("sequential", "library", 2, True, {"graded": True}),
            ("library_content", "lib", 3, True, {}),
            ("sequential", "ungraded", 2, False, {}),
            ("problem", "p5", 3, False, {"weight": 4}),
            ("sequential", "empty", 2, True, {"graded": True}),
            ("chapter", "ch3", 1, False, {}),
            ("problem", "loose", 2, False, {"weight": 7}),
        ),
    )
