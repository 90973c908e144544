"""Tables of notable calls: resolved qualified name -> feature ids (no if-chains). The call tables of each
feature live in its family module (``CALLS``, ``CALL_PREFIXES``); this module merges them and holds the
cross-family sets (decoders, setup names, which features count as active)."""

from __future__ import annotations

import builtins
from functools import lru_cache

from vetpy.features import data_access, dynamic, network

BUILTIN_NAMES: frozenset[str] = frozenset(dir(builtins))

_FAMILIES = (dynamic, network, data_access)
EXACT: dict[str, tuple[str, ...]] = {}
for _family in _FAMILIES:
    for _name, _features in _family.CALLS.items():
        EXACT[_name] = EXACT.get(_name, ()) + _features
PREFIX: tuple[tuple[str, tuple[str, ...]], ...] = tuple(p for f in _FAMILIES for p in f.CALL_PREFIXES)

DECODERS: frozenset[str] = frozenset(
    {f"base64.{n}" for n in dynamic.B64_DECODERS}
    | {
        "zlib.decompress",
        "marshal.loads",
        "lzma.decompress",
        "bz2.decompress",
        "gzip.decompress",
        "codecs.decode",
        "binascii.a2b_base64",
        "binascii.unhexlify",
        "bytes.fromhex",
        "chr",
        "str.join",
    }
)
DECODER_METHODS: frozenset[str] = frozenset(
    {"*.fromhex", "*.decrypt", "*.b64decode", "*.decompress", "*.loads"}
)
EXEC_NAMES: frozenset[str] = frozenset({"exec", "eval", "builtins.exec", "builtins.eval", "execfile"})
SETUP_NAMES: frozenset[str] = frozenset({"setup", "setuptools.setup", "distutils.core.setup"})
INSTALL_BASES: tuple[str, ...] = (
    "install",
    "develop",
    "egg_info",
    "build_py",
    "build_ext",
    "sdist",
    "bdist_egg",
    "bdist_wheel",
    "build",
    "install_lib",
    "install_scripts",
)
HARMLESS_TOPLEVEL: frozenset[str] = frozenset(
    {
        "setup",
        "setuptools.setup",
        "distutils.core.setup",
        "print",
        "sys.path.insert",
        "sys.path.append",
        "*.append",
        "*.extend",
        "*.update",
        "*.insert",
        "warnings.warn",
        "warnings.filterwarnings",
        "os.chdir",
        "sys.exit",
        "exit",
        "*.exit",
        "*.setdefault",
        "*.add",
        "*.remove",
        "*.close",
    }
)
DANGEROUS_ATTRS: frozenset[str] = frozenset(
    {
        "system",
        "popen",
        "exec",
        "eval",
        "__import__",
        "spawn",
        "b64decode",
        "loads",
        "decompress",
        "check_output",
        "Popen",
        "getoutput",
        "urlopen",
        "urlretrieve",
        "startfile",
        "__builtins__",
    }
)
# Features that make a file "do something" at install/import time.
ACTIVE_FEATURES: frozenset[str] = frozenset(
    {
        "code.exec_eval",
        "code.decode_exec",
        "code.subprocess",
        "code.os_system",
        "code.reverse_shell",
        "code.socket",
        "code.http",
        "code.download_exec",
        "code.credential_read",
        "code.startup_write",
        "code.base64",
        "code.marshal_zlib",
    }
)
INIT_FEATURES: frozenset[str] = frozenset(
    {
        "code.exec_eval",
        "code.decode_exec",
        "code.subprocess",
        "code.os_system",
        "code.reverse_shell",
        "code.socket",
        "code.http",
        "code.download_exec",
    }
)

# Behaviour kinds counted per file: a payload concentrates several in one file, wherever that file runs.
BEHAVIOUR_KINDS: frozenset[str] = ACTIVE_FEATURES | {
    "code.dunder_import",
    "code.decoded_sink",
    "code.exfil_flow",
    "code.system_info",
    "code.env_access",
    "code.ctypes_win",
    "code.hex_chr_chains",
    "code.obfuscator",
}
# Calls whose arguments are checked for decoded data (all) and host data (network ones).
SINK_FEATURES: frozenset[str] = frozenset({"code.http", "code.socket", "code.subprocess", "code.os_system"})
SEND_NAMES: frozenset[str] = frozenset(
    {"*.post", "*.put", "*.send", "*.sendall", "*.sendto", "*.send_message", "*.request", "*.urlopen"}
)
# Calls that run a function handed to them (the last name part), for import-time reachability.
CALLBACK_TAKERS: frozenset[str] = frozenset(
    {"Thread", "Timer", "Process", "register", "submit", "start_new_thread", "run_in_executor", "call_later"}
)


@lru_cache(maxsize=16384)
def features_for(qualname: str) -> tuple[str, ...]:
    """The feature ids a call to ``qualname`` counts towards (empty when it is not notable)."""
    found = EXACT.get(qualname)
    if found:
        return found
    for prefix, feats in PREFIX:
        if qualname.startswith(prefix):
            return feats
    return ()


def is_decoder(qualname: str) -> bool:
    """True for calls that turn encoded/compressed data back into code or text."""
    return qualname in DECODERS or qualname in DECODER_METHODS
