"""edx-schema: the Open edX LMS learner-data tables as a reusable Django app.

The public Python interface is :mod:`edx_schema.api` (OEP-49); nothing is exported from here.
"""

__version__ = "0.1.0"
