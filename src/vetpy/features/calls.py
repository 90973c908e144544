"""Data tables of notable calls: resolved qualified name -> feature ids (no if-chains)."""

from __future__ import annotations

import builtins
from functools import lru_cache

BUILTIN_NAMES: frozenset[str] = frozenset(dir(builtins))

_B64 = (
    "b64decode",
    "b32decode",
    "b16decode",
    "a85decode",
    "b85decode",
    "decodebytes",
    "decodestring",
    "urlsafe_b64decode",
    "standard_b64decode",
)
_HTTP = (
    "urllib.request.urlopen",
    "urllib.request.urlretrieve",
    "urllib.request.Request",
    "urllib.request.build_opener",
    "urllib.urlopen",
    "urllib.urlretrieve",
    "urllib2.urlopen",
    "urllib2.Request",
    "http.client.HTTPConnection",
    "http.client.HTTPSConnection",
    "httplib.HTTPConnection",
    "httplib.HTTPSConnection",
    "wget.download",
    "aiohttp.ClientSession",
    "aiohttp.request",
    "urllib3.PoolManager",
    "urllib3.request",
    "pycurl.Curl",
    "ftplib.FTP",
    "smtplib.SMTP",
    "smtplib.SMTP_SSL",
    "telnetlib.Telnet",
    "paramiko.SSHClient",
    "dns.resolver.resolve",
    "dns.resolver.query",
)
_OS_SYSTEM = (
    "os.system",
    "os.popen",
    "os.popen2",
    "os.popen3",
    "os.popen4",
    "os.startfile",
    "commands.getoutput",
    "commands.getstatusoutput",
    "popen2.popen2",
    "popen2.popen3",
    "posix.system",
    "nt.system",
)
_SYSINFO = (
    "platform.node",
    "platform.uname",
    "socket.gethostname",
    "socket.gethostbyname",
    "socket.getfqdn",
    "getpass.getuser",
    "os.getlogin",
    "os.uname",
    "uuid.getnode",
    "psutil.users",
    "psutil.net_if_addrs",
)

EXACT: dict[str, tuple[str, ...]] = {
    "exec": ("code.exec_eval",),
    "eval": ("code.exec_eval",),
    "builtins.exec": ("code.exec_eval",),
    "builtins.eval": ("code.exec_eval",),
    "execfile": ("code.exec_eval",),
    "compile": ("code.compile",),
    "builtins.compile": ("code.compile",),
    "__import__": ("code.dunder_import",),
    "builtins.__import__": ("code.dunder_import",),
    "pty.spawn": ("code.reverse_shell",),
    "socket.socket": ("code.socket",),
    "socket.create_connection": ("code.socket",),
    "socket.fromfd": ("code.socket",),
    "os.getenv": ("code.env_access",),
    "os.putenv": ("code.env_access",),
    "os.getenvb": ("code.env_access",),
    "zlib.decompress": ("code.marshal_zlib",),
    "zlib.decompressobj": ("code.marshal_zlib",),
    "marshal.loads": ("code.marshal_zlib",),
    "lzma.decompress": ("code.marshal_zlib",),
    "bz2.decompress": ("code.marshal_zlib",),
    "gzip.decompress": ("code.marshal_zlib",),
    "win32crypt.CryptUnprotectData": ("code.credential_read", "code.ctypes_win"),
    **{f"base64.{n}": ("code.base64",) for n in _B64},
    **{n: ("code.http",) for n in _HTTP},
    **{n: ("code.os_system",) for n in _OS_SYSTEM},
    **{n: ("code.system_info",) for n in _SYSINFO},
}

PREFIX: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("subprocess.", ("code.subprocess",)),
    ("os.exec", ("code.os_system",)),
    ("os.spawn", ("code.os_system",)),
    ("os.posix_spawn", ("code.os_system",)),
    ("requests.", ("code.http",)),
    ("httpx.", ("code.http",)),
    ("ctypes.", ("code.ctypes_win",)),
    ("winreg.", ("code.ctypes_win",)),
    ("_winreg.", ("code.ctypes_win",)),
    ("win32api.", ("code.ctypes_win",)),
    ("win32con.", ("code.ctypes_win",)),
    ("win32gui.", ("code.ctypes_win",)),
    ("win32process.", ("code.ctypes_win",)),
    ("browser_cookie3.", ("code.credential_read",)),
)

DECODERS: frozenset[str] = frozenset(
    {f"base64.{n}" for n in _B64}
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
