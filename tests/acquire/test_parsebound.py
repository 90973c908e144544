"""The syntax tree's bound: small code always parses; sparse generated code up to 8 MB parses; dense code
past 2 MB does not; and acquire calls exactly the unparsed ones incomplete."""

from __future__ import annotations

from evasions import files_tar
from vetpy.acquire.archive import open_archive
from vetpy.acquire.interface import Limits
from vetpy.acquire.parsebound import PARSE_BYTES, PARSE_BYTES_MAX, PARSE_UNITS, parses, tree_units
from vetpy.features.source.scan import scan_python


def generated(size: int) -> bytes:
    """Code shaped like generated API bindings: long names, docstrings, few tokens per byte."""
    block = (
        b"class ListNetworkSecurityGroupRulesRequestParameters(TLObject):\n"
        b'    """The parameters of the request that lists the security group rules of a network,\n'
        b'    as the service documents them, one per page, most recently created first."""\n'
        b"    CONSTRUCTOR_IDENTIFIER_OF_THIS_REQUEST_TYPE = 0x5FEDCBA9\n\n"
        b"    def __init__(self, network_security_group_identifier, maximum_results_per_page):\n"
        b"        self.network_security_group_identifier = network_security_group_identifier\n"
        b"        self.maximum_results_per_page = maximum_results_per_page\n\n\n"
    )
    return block * (size // len(block) + 1)


def test_tree_units_count_punctuation_and_words() -> None:
    assert tree_units(b"x = [1, 2]\n") == 4 + 4  # "=", "[", ",", "]" and the words "x", "=", "[1,", "2]"
    assert tree_units(b"") == 0
    assert tree_units(b"a\n" * 1000) == 1000


def test_small_code_always_parses_and_dense_code_over_two_mb_does_not() -> None:
    dense = b"x = [" + b"1," * (PARSE_BYTES // 2) + b"]\n"
    assert parses(dense[:PARSE_BYTES]) and tree_units(dense[:PARSE_BYTES]) > PARSE_UNITS // 2
    assert len(dense) > PARSE_BYTES and not parses(dense)
    code = generated(3 * PARSE_BYTES)
    assert PARSE_BYTES < len(code) <= PARSE_BYTES_MAX and tree_units(code) <= PARSE_UNITS
    assert parses(code)
    assert not parses(generated(PARSE_BYTES_MAX + 1))  # never past the ceiling, however sparse


def test_sparse_generated_code_is_scanned_in_full_and_dense_code_is_incomplete() -> None:
    payload = b"\n\ndef sync():\n    exec(__import__('base64').b64decode('cHJpbnQoMSk='))\n"
    info = b"Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n"
    for code, complete in (
        (generated(3 * PARSE_BYTES), True),
        (b"x = [" + b"1," * PARSE_BYTES + b"]\n", False),
    ):
        data = files_tar({"demo-1.0/PKG-INFO": info, "demo-1.0/demo/types.py": code + payload})
        archive = open_archive(data, target="demo-1.0.tar.gz", limits=Limits(max_ratio=1e6))
        assert (archive.limit_hit is None) is complete, archive.limit_hit
        facts = scan_python("demo-1.0/demo/types.py", code + payload)
        assert facts.parsed is complete
        assert facts.strong["code.decode_exec"] > 0  # the payload is seen either way


def test_an_incomplete_parse_says_no_flag_raises_the_bound() -> None:
    from vetpy.assess import incomplete_message

    parse = "parse: p/big.py holds more code than the syntax tree takes (9 MB)"
    message = incomplete_message(parse, 0.1, 0.9)
    assert message.endswith("only pattern-scanned (the bound is fixed)") and "raise the limit" not in message
    members = incomplete_message("members: more than 50000", 0.1, 0.9)
    assert members.endswith("raise the limit to scan the rest")
