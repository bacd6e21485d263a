"""Write one fuzz case's package to a folder, to look at it or import it by hand.

    python -m tests.fuzz.replay 'auth_user@CS-101x:insert_specials:42' /tmp/case
    python manage.py import_package /tmp/case/universityx-2024-11-17    # (or .zip)

A case is what a failure prints: ``kind@course:mutator:seed`` (``corpus:<id>`` for an entry of
the regression corpus, ``inflate:<name>`` for an inflated member).
"""

from __future__ import annotations

import sys
from pathlib import Path

from .harness import Case, build_package, mutated


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    case, folder = Case.parse(argv[0]), Path(argv[1])
    folder.mkdir(parents=True, exist_ok=True)
    if any(folder.iterdir()):
        print(f"{folder} is not empty", file=sys.stderr)
        return 2
    mutation = mutated(case)
    built = build_package(mutation, folder)
    print(f"{mutation.describe()}\nmutated member: {built.member}\npackage: {built.path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
