"""The fuzzing harness: mutated members of the sample package against the decoders and imports.

See CONTRIBUTING.md ("Fuzzing") for the quick and long profiles and how to replay a case.
"""
