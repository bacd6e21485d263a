"""How much the harness runs: the quick profile by default, the long one with ``FUZZ_CASES=N``.

- quick (CI): fixed seeds and hypothesis derandomized, so that every run tries the same cases;
- long: ``FUZZ_CASES=N`` cases per fuzz test (mutated members per member kind, examples per
  decoder), ``FUZZ_SEED=S`` picks another set of cases, and hypothesis draws at random (it
  prints the seed to replay a failure with ``--hypothesis-seed``).
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, Phase, settings

LONG = bool(os.environ.get("FUZZ_CASES"))
#: Cases per fuzz test.
CASES = int(os.environ.get("FUZZ_CASES") or 0)
#: The base seed every case's own seed derives from.
SEED = int(os.environ.get("FUZZ_SEED") or 0)
#: ``kind@course:mutator:seed`` (as a failure prints it): run that one case only.
REPLAY = os.environ.get("FUZZ_REPLAY", "")

#: Mutated members per member kind in the in-process import fuzz; twice as many for each of the
#: three document kinds and the e-mail opt-in list, which have more mutators of their own than any
#: one table.
IMPORT_CASES = CASES or 10


def import_case_count(kind: str) -> int:
    return IMPORT_CASES * (2 if kind in ("course_structure", "course_olx", "forum", "email_opt_in") else 1)


#: Examples per decoder and mutator in the hypothesis tests (and for the value converters, x 20).
DECODER_EXAMPLES = CASES or 8
#: Ordinary mutated members also run as a real ``manage.py`` process (the inflated ones always are).
SUBPROCESS_CASES = CASES // 10 if LONG else 6
#: Size of the inflated members (one huge line, padded JSON ...), in MiB: a reader that holds
#: such a line or document whole needs more than the memory limit below.
INFLATE_MB = int(os.environ.get("FUZZ_INFLATE_MB") or 256)
#: The peak memory every import must stay under, whatever the input (issue 12, item 7).
MEMORY_LIMIT_MB = 200
#: A case that takes longer has hung (the slowest honest case takes a few seconds).
CASE_TIMEOUT_S = 60

#: Hypothesis settings of the decoder tests. Shrinking is kept: the decoders are fast.
DECODERS = settings(
    max_examples=DECODER_EXAMPLES,
    derandomize=not LONG,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    phases=[Phase.explicit, Phase.generate, Phase.shrink],
    print_blob=True,
)
#: The value converters and names are cheap: more examples, in one test each.
MANY = settings(parent=DECODERS, max_examples=DECODER_EXAMPLES * 25)
