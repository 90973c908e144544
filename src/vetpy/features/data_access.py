"""Data-access detectors: sending host data, credential and browser stores, environment, start-up
locations, host facts, Windows APIs.

Signals come from the source pass: calls (tables in :mod:`vetpy.features.calls`), path patterns in string
literals (:mod:`vetpy.features.strings`), and the host-data flow into network calls
(:mod:`vetpy.features.source.flow`).
"""

from __future__ import annotations

from vetpy.features.interface import Family, ValueKind, spec

_D, _LOG, _FLAG = Family.DATA_ACCESS, ValueKind.LOG_COUNT, ValueKind.FLAG
SPECS = (
    spec(
        "code.exfil_flow",
        _D,
        _FLAG,
        "a network call sends host data (user, host, credentials or their files, .env, whole env), or a"
        " function uploads files after naming a credential store",
        "sending who and where the victim is, or their secrets, is what stealers do",
        signal="sends host data over the network",
    ),
    spec(
        "code.credential_read",
        _D,
        _FLAG,
        "reads credential locations (~/.ssh, browser profiles, cloud keys, tokens)",
        "token and password stealers read exactly these places",
        signal="touches credential or browser data",
    ),
    spec(
        "code.env_access",
        _D,
        _LOG,
        "reads environment variables",
        "CI secrets and cloud keys live in the environment",
        signal="reads environment variables",
    ),
    spec(
        "code.startup_write",
        _D,
        _FLAG,
        "writes to start-up locations (autostart, shell rc, Run keys)",
        "persistence: the payload survives a reboot or a new shell",
        signal="touches a start-up location",
    ),
    spec(
        "code.system_info",
        _D,
        _LOG,
        "collects host facts (hostname, username, platform, IP)",
        "beacons report which machine they landed on",
        signal="collects host information",
    ),
    spec(
        "code.ctypes_win",
        _D,
        _LOG,
        "ctypes / winreg / Windows API use",
        "native calls reach what Python's standard library does not (injection, registry, DPAPI)",
        signal="uses ctypes / Windows APIs",
    ),
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
#: Calls (resolved through import aliases) that count towards this family's features.
CALLS: dict[str, tuple[str, ...]] = {
    "os.getenv": ("code.env_access",),
    "os.putenv": ("code.env_access",),
    "os.getenvb": ("code.env_access",),
    "win32crypt.CryptUnprotectData": ("code.credential_read", "code.ctypes_win"),
    **{n: ("code.system_info",) for n in _SYSINFO},
}
#: Call-name prefixes (the first that matches wins, after CALLS of every family).
CALL_PREFIXES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("ctypes.", ("code.ctypes_win",)),
    ("winreg.", ("code.ctypes_win",)),
    ("_winreg.", ("code.ctypes_win",)),
    ("win32api.", ("code.ctypes_win",)),
    ("win32con.", ("code.ctypes_win",)),
    ("win32gui.", ("code.ctypes_win",)),
    ("win32process.", ("code.ctypes_win",)),
    ("browser_cookie3.", ("code.credential_read",)),
)
