"""The shipped pytest plugin's fixtures, as a downstream project gets them.

Imported here rather than through the ``edx_schema`` entry point, which only exists once the
package is installed (``examples/downstream_app`` tests it that way, from the wheel).
"""

from edx_schema.testing.pytest_plugin import (  # noqa: F401 (fixtures)
    course_with_overrides,
    edx_user,
    enrolled_learner,
    graded_course,
    load_data_package,
)
