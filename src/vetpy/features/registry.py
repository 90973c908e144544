"""The closed, ordered registry of numeric features. Its ids and order define the schema hash that a
saved model is checked against: change them and old models are refused."""

from __future__ import annotations

import hashlib

from vetpy.features.interface import FeatureSpec

SCHEMA_VERSION = 1

_S = FeatureSpec

FEATURES: tuple[FeatureSpec, ...] = (
    # --- the paper's 7 numeric features (its 8th is the suspicious-lines text) ---
    _S(
        "paper.homepage_invalid",
        "metadata",
        "homepage missing, not https, or not on a well-known domain",
        True,
    ),
    _S("paper.author_email_invalid", "metadata", "author email missing or its domain not well known", True),
    _S(
        "paper.install_hook", "code", "setup.py overrides install commands (cmdclass / install classes)", True
    ),
    _S("paper.suspicious_url", "code", "a URL or IP that is insecure, raw, or on an unknown domain", True),
    _S("paper.long_string", "code", "a string literal longer than 40 characters in code", True),
    _S("paper.minimal_setup_cfg", "file", "setup.cfg identical to the packaging tool's default", True),
    _S("paper.license_mismatch", "file", "licence classifier, License field and LICENSE file disagree", True),
    # --- archive shape ---
    _S("archive.limit_hit", "archive", "reading stopped at a size/count/ratio/time limit (bomb-like)"),
    _S("archive.path_tricks", "archive", "absolute paths, '..', links or devices inside the archive"),
    _S("archive.binary_files", "archive", "native executables or libraries inside a source archive"),
    _S("archive.nested_archives", "archive", "archives inside the archive"),
    _S("archive.log_files", "archive", "log(1 + number of files)"),
    _S("archive.log_py_files", "archive", "log(1 + number of Python files)"),
    _S("archive.log_py_bytes", "archive", "log(1 + bytes of Python source)"),
    _S("archive.no_python", "archive", "no Python file at all"),
    # --- metadata ---
    _S("meta.missing_pkg_info", "metadata", "no PKG-INFO / METADATA file"),
    _S("meta.log_description", "metadata", "log(1 + length of the long description)"),
    _S("meta.no_license", "metadata", "no licence declared anywhere"),
    _S("meta.no_author", "metadata", "no author or maintainer declared"),
    _S("meta.odd_version", "metadata", "version like 0.0.0 or a huge major (dependency-confusion style)"),
    _S("meta.typosquat_similarity", "metadata", "similarity (0-1) to the nearest *other* popular name"),
    _S("meta.typosquat", "metadata", "name is one or two edits from another popular project's name"),
    # --- install-time execution ---
    _S("install.cmdclass", "code", "setup() gets a cmdclass overriding install/develop/egg_info"),
    _S("install.setup_code", "code", "statements in setup.py beyond imports, constants, defs and setup()"),
    _S("install.setup_suspicious", "code", "suspicious calls (exec, process, network) inside setup.py"),
    _S("install.pth_exec", "code", "a .pth file with an executable import line"),
    _S("install.init_suspicious", "code", "suspicious calls at module level of an __init__.py"),
    _S("install.entry_point_payload", "code", "an entry point leads into a module with suspicious calls"),
    _S(
        "install.import_time_payload",
        "code",
        "a module runs network/process/exec code when imported (at top level or via its own functions)",
    ),
    # --- dynamic code ---
    _S("code.exec_eval", "code", "exec/eval calls"),
    _S("code.compile", "code", "compile() calls"),
    _S("code.dunder_import", "code", "__import__ / importlib with computed names"),
    _S("code.dynamic_getattr", "code", "getattr with a computed attribute name"),
    _S("code.decode_exec", "code", "base64/zlib/marshal/codecs decoding feeding exec/eval"),
    _S("code.base64", "code", "base64 decoding"),
    _S("code.marshal_zlib", "code", "marshal/zlib/lzma decoding"),
    # --- processes and network ---
    _S("code.subprocess", "code", "subprocess calls"),
    _S("code.os_system", "code", "os.system / os.popen / os.exec*"),
    _S("code.reverse_shell", "code", "pty.spawn or socket + dup2 shell patterns"),
    _S("code.socket", "code", "raw socket use"),
    _S("code.http", "code", "HTTP requests (urllib, requests, http.client, httpx)"),
    _S("code.raw_ip", "code", "a raw IP address in code"),
    _S("code.webhook", "code", "Discord/Telegram/Slack webhook or bot API URLs"),
    _S("code.paste_site", "code", "paste sites and file drops (pastebin, transfer.sh, ...)"),
    _S("code.unusual_host", "code", "URLs to hosts outside the well-known domain list"),
    _S("code.download_exec", "code", "download then write/execute pattern"),
    _S("code.decoded_sink", "code", "a network/process call whose target or payload is decoded at run time"),
    _S(
        "code.max_file_behaviours",
        "code",
        "most distinct behaviours (process, network, decoding, credential paths, ...) in one Python file",
    ),
    _S(
        "install.running_file_behaviours",
        "code",
        "most distinct behaviours in one file that runs at install or import time",
    ),
    _S("code.exfil_flow", "code", "a network call sends host data (user, host name, credentials, whole env)"),
    # --- data access ---
    _S(
        "code.credential_read",
        "code",
        "reads credential locations (~/.ssh, browser profiles, cloud keys, tokens)",
    ),
    _S("code.env_access", "code", "reads environment variables"),
    _S("code.startup_write", "code", "writes to start-up locations (autostart, shell rc, Run keys)"),
    _S("code.system_info", "code", "collects host facts (hostname, username, platform, IP)"),
    _S("code.ctypes_win", "code", "ctypes / winreg / Windows API use"),
    # --- obfuscation ---
    _S("code.max_entropy", "code", "highest Shannon entropy of a long string literal (bits/char)"),
    _S("code.high_entropy_strings", "code", "log(1 + long high-entropy string literals)"),
    _S("code.long_strings", "code", "log(1 + string literals longer than 200 characters)"),
    _S("code.hex_chr_chains", "code", "hex escapes, chr() chains or byte lists building strings"),
    _S("code.obfuscator", "code", "known obfuscator markers (pyarmor, pyobfuscate, _0x names, ...)"),
    _S("code.long_lines", "code", "log(1 + source lines over 1000 characters)"),
    # --- parsing ---
    _S("code.parse_error", "code", "a Python file that does not parse as Python 3"),
    _S("code.parse_error_ratio", "code", "share of Python files that do not parse"),
)

FEATURE_IDS: tuple[str, ...] = tuple(f.id for f in FEATURES)
PAPER_FEATURE_IDS: tuple[str, ...] = tuple(f.id for f in FEATURES if f.paper)
BY_ID: dict[str, FeatureSpec] = {f.id: f for f in FEATURES}


def schema_hash() -> str:
    """A short hash of the registry (ids, order, schema version) that saved models record."""
    text = f"{SCHEMA_VERSION}\n" + "\n".join(FEATURE_IDS)
    return hashlib.sha256(text.encode()).hexdigest()[:16]
