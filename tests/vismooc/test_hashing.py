"""RIPEMD-160 usernames identical to MOOCdb's tracking-log parser, and the original ``_id``s."""

import hashlib
import random

import pytest

from edx_schema.vismooc import hashing
from edx_schema.vismooc.hashing import anonymize, ripemd160_pure, vismooc_id

# vismooc.md §4.2: the tracking-log fixture (Bgisi), the RIPEMD-160 standard vectors, and more.
VECTORS = [
    ("Bgisi", "726f11b3aff8ff1f4ea2f80e7b2da85275052d9f"),
    ("bgisi", "399c1d7fc75507da7ee3d625f87d4f0cd9c29ae1"),
    ("", "9c1185a5c5e9fc54612808977ee8f548b2258d31"),
    ("abc", "8eb208f7e05d987a9b044a8e98c6b087f15a0bfc"),
    ("staff", "82ff0a3c93c83196186974dedfa16332393dfe28"),
    ("cba", "35be85e66a21f035ac42ca83f73cec9df4b53c4a"),
    ("John Doe", "f068b5a0c230e022656b3daca20408c17dd07521"),
    ("NULL", "3cb03dd183d3f06b22978d071fee38501122ab9b"),
    ("Bgisi\n", "d0c601565fb04a8a5bea93cf9358ac7558b5cbac"),
    ("Jos\u00e9", "f5a29540d1ed406991649dd4fd1de23e670f831a"),
    ("Jose\u0301", "388f9c810be010e60c986ee63f1b17228cd45010"),
]


@pytest.mark.parametrize(("value", "digest"), VECTORS)
def test_usernames_hash_as_the_tracking_log_parser_hashes_them(value, digest):
    assert anonymize(value) == digest
    assert ripemd160_pure(value.encode("utf-8")) == digest


def test_the_pure_implementation_agrees_with_openssl_across_block_boundaries():
    rng = random.Random(1)
    for length in [*range(0, 130), 1000, 4096]:
        data = bytes(rng.randrange(256) for _ in range(length))
        assert ripemd160_pure(data) == hashlib.new("ripemd160", data).hexdigest(), length


def test_without_a_working_openssl_ripemd160_the_pure_one_is_used(monkeypatch):
    def unsupported(name, data=b""):
        raise ValueError("unsupported hash type ripemd160")

    monkeypatch.setattr(hashing.hashlib, "new", unsupported)
    assert hashing._choose() is ripemd160_pure
    # OpenSSL 3.0.0-3.0.6 may list the name and return a wrong or empty digest: checked too.
    monkeypatch.setattr(hashing, "_openssl_ripemd160", lambda data: "")
    assert hashing._choose() is ripemd160_pure


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("i4x://org/course/video/f50cc021e7b84729b53aabf23017cd13", "4176302298990310613"),
        ("i4x://org/course/video/2229d6d6ffbbacf5ad9edea51ff54b4b", "7353585395721519839"),
        ("block-v1:MITx+6.00x+2T2017+type@video+block@vid1", "5645031484251783777"),
        ("{'category': 'course', 'field_b': 'value_2', 'field_a': 'value_1'}", "2538887322753988521"),
    ],
)
def test_ids_are_the_original_pipelines(value, expected):
    assert vismooc_id(value) == expected
