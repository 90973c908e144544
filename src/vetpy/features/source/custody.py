"""Custody secrets: data whose name says it is a wallet's private key or recovery phrase (private_key,
privkey, mnemonic, seed_phrase, recovery_phrase, wallet_key, keystore, ...), never a plain key, token,
secret, password or API key (API clients send those to their own host all day).

An honest wallet library signs locally and sends the signed transaction, or sends to the URL its caller
gives; a helper that sends its caller's private key or seed phrase to a host written into the package is
stealing it. :class:`CustodyChecks` notes such a send as the token ``flow:custody_to_fixed`` with its
evidence (file, line, the secret and the host), which :mod:`vetpy.policy` makes a hard finding. The work
is done only in files that spell a custody word at all (one search of the text, the first time asked).
"""

from __future__ import annotations

import ast
import re
from functools import lru_cache

import ahocorasick_rs

from vetpy.features.domains import is_well_known
from vetpy.features.lexicon import host_category
from vetpy.features.source.astutil import bounded_walk
from vetpy.features.source.facts import Hit
from vetpy.features.source.fold import Folder
from vetpy.features.source.state import WalkState
from vetpy.features.urls import public_ip
from vetpy.wordsearch import automaton, find_words, lowered

CUSTODY_TOKEN = "flow:custody_to_fixed"
#: Any secret (destinations.py): a key, token, password, session, cookie, seed, wallet, ...
SECRET_NAME_RE = re.compile(
    r"(?:^|_)(?:key|keys|secret|secrets|token|tokens|passw(?:or)?d|pwd|mnemonic|seed|phrase|wallet|private|"
    r"privkey|credentials?|creds|cookies?|session)(?:$|_)",
    re.I,
)
CUSTODY_NAME_RE = re.compile(
    r"(?:^|_)(?:private_?keys?|priv_?keys?|mnemonics?|(?:seed|recovery|secret)_?(?:phrases?|words)|"
    r"wallet_?keys?|keystores?)(?:$|_)"
)
# Names about the secret that are not the secret: where it is kept, what it is called, whether there is one.
_ABOUT_IT = re.compile(
    r"_(?:path|paths|file|files|filename|dir|id|ids|name|names|type|types|size|len|length|format|hash|"
    r"fingerprint|url|uri|label|prompt|count|index|idx)$|^(?:has|is|use|uses|with|no|num|n|show|ask)_"
)
_SEPARATORS = ("", "_", "-", " ")
#: Every spelling of a custody word in lower-cased text (camelCase names and dict keys included), found by
#: one word search: a regular expression over every file's text cost more than the walk it gates.
FILE_WORDS: tuple[str, ...] = (
    "mnemonic",
    "keystore",
    *(f"priv{a}{s}key" for a in ("", "ate") for s in _SEPARATORS),
    *(f"{a}{s}{b}" for a in ("seed", "recovery", "secret") for s in _SEPARATORS for b in ("phrase", "words")),
    *(f"wallet{s}key" for s in _SEPARATORS),
)
#: ``private key`` alone is also what notification, payment and signing services call an account's API
#: key: a file that spells only that counts when it also names a chain or a wallet.
_PRIVATE_KEY_WORDS = frozenset(w for w in FILE_WORDS if w.startswith("priv"))
CHAIN_WORDS: tuple[str, ...] = (
    "wallet",
    "web3",
    "ethereum",
    "eth_account",
    "solana",
    "solders",
    "bitcoin",
    "btc",
    "bip39",
    "bip32",
    "bip44",
    "blockchain",
    "metamask",
    "tronpy",
)
#: Plain parameter names that hold a custody secret in a function named for one (``parse_private_key``).
_GENERIC = frozenset({"key", "secret", "seed", "phrase", "words", "_key", "k", "pk", "sk"})
_CAMEL = re.compile(r"([a-z0-9])([A-Z])")
# This machine, a private network, or names reserved for examples (RFC 2606): nobody receives there.
_LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".lan", ".home.arpa", ".example", ".test", ".invalid")
_EXAMPLE_DOMAINS = ("example.com", "example.net", "example.org")


@lru_cache(maxsize=1)
def _file_words() -> ahocorasick_rs.AhoCorasick:
    return automaton((*FILE_WORDS, *CHAIN_WORDS))


def custody_level(text: str) -> int:
    """How a lower-cased text spells custody words: 2 for a recovery phrase, keystore or wallet key, or a
    private key in a text that also names a chain or a wallet; 1 for a private key alone; 0 for none."""
    private = chain = False
    for index, _, _ in find_words(_file_words(), text, overlapping=False):
        if index >= len(FILE_WORDS):
            chain = True
        elif FILE_WORDS[index] in _PRIVATE_KEY_WORDS:
            private = True
        else:
            return 2
        if private and chain:
            return 2
    return 1 if private else 0


def blatant_host(host: str) -> bool:
    """A host no account-keyed service hides behind: a public raw address, or a shared service attackers use
    (chat-bot APIs, request bins, tunnels, paste and file-drop sites: the lexicon's categories). Sending
    a ``private_key`` there counts even in a text that names no chain."""
    host = host.strip(".").lower()
    if host.replace(".", "").isdigit():
        return public_ip(host)
    return host_category(host) is not None


@lru_cache(maxsize=65_536)
def secret_name(text: str) -> bool:
    """Whether a name, attribute or short string says it is a secret (``SECRET_NAME_RE``), remembered:
    the walk asks about the same few names again and again."""
    return SECRET_NAME_RE.search(text) is not None


@lru_cache(maxsize=16_384)
def custody_name(text: str) -> bool:
    """Whether a name, attribute or dict key says it holds a wallet's private key or recovery phrase."""
    if len(text) > 60:
        return False
    name = _CAMEL.sub(r"\1_\2", text).lower().replace("-", "_").replace(" ", "_")
    return CUSTODY_NAME_RE.search(name) is not None and _ABOUT_IT.search(name) is None


@lru_cache(maxsize=4_096)
def outside_host(host: str) -> bool:
    """A host that receives data for someone else: not this machine or a private network, and either not
    a well-known domain or a shared service attackers use (chat-bot APIs, request bins, paste sites...)."""
    host = host.strip(".").lower()
    if host == "localhost" or host.endswith(_LOCAL_SUFFIXES):
        return False
    if any(host == d or host.endswith("." + d) for d in _EXAMPLE_DOMAINS):
        return False
    if host.replace(".", "").isdigit():  # a dotted address: routable (urls.public_ip), whoever owns it
        return public_ip(host)
    return not is_well_known(host) or host_category(host) is not None


def _custody_key(key: ast.expr | None) -> bool:
    """A constant dict key or key read that names a custody secret."""
    return isinstance(key, ast.Constant) and isinstance(key.value, str) and custody_name(key.value)


class CustodyChecks(WalkState):
    """Custody secrets held in names of the walked module and sent to a fixed outside host."""

    def custody_file(self, host: str | None = None) -> bool:
        """Whether the module's text spells a custody word (searched once, when first asked); a private key
        alone counts when the data goes to a :func:`blatant_host`."""
        state = self.custody
        if state.words is None:
            state.words = custody_level(lowered(self.lines.text))
        return state.words == 2 or (state.words == 1 and host is not None and blatant_host(host))

    def custody_in(self, value: ast.AST, func: str | None) -> str | None:
        """The custody secret an expression of function ``func`` carries, by name (a name, attribute, dict
        key, key read or keyword, or a variable of the function assigned from one; in a function named
        for a custody secret, a parameter called plainly key, secret, seed, ...), else None."""
        held = self.custody.held
        # def parse_private_key(key): a parameter called plainly key (secret, seed, ...) holds the secret
        generic = _GENERIC.intersection(self.params.get(func, ())) if func and custody_name(func) else ()
        for sub in bounded_walk(value):
            found: str | None = None
            if isinstance(sub, ast.Name):
                name = sub.id
                found = held.get((func, name))
                if found is None and custody_name(name):
                    found = name
                elif found is None and name in generic:
                    found = f"{name}, in {func}"
            elif isinstance(sub, ast.Attribute | ast.keyword):
                text = sub.attr if isinstance(sub, ast.Attribute) else sub.arg
                found = text if text and custody_name(text) else None
            elif isinstance(sub, ast.Dict | ast.Subscript):
                keys = sub.keys if isinstance(sub, ast.Dict) else [sub.slice]
                found = next((k.value for k in keys if _custody_key(k)), None)  # type: ignore[union-attr]
            if found is not None:
                return found
        return None

    def built_text(self, dest: ast.expr) -> tuple[ast.expr, str | None]:
        """The fixed head of a destination built at run time (the left of a concatenation, the first part
        of an f-string: ``b64decode(C) + key``) and the text it folds to from the module's constants."""
        head = dest
        while isinstance(head, ast.BinOp) and isinstance(head.op, ast.Add):
            head = head.left
        if isinstance(head, ast.JoinedStr) and head.values:
            first = head.values[0]
            head = first.value if isinstance(first, ast.FormattedValue) else first
        return head, Folder(self.fold_constants, self.resolve).fold(head)

    def note_custody(self, target: ast.expr, value: ast.expr) -> None:
        """An assignment, kept to be read only if a send needs it (:meth:`catch_up`): most modules never
        send to a fixed outside host, and then never search their text for custody words."""
        if type(value) is not ast.Constant:  # a constant carries no custody secret (a third of all values)
            self.custody.assigns.append((self.func, target, value))

    def catch_up(self) -> None:
        """Read the assignments kept so far, in order: ``name = <custody data>`` (the name now holds it)
        or ``d[key] = ...`` with a custody key or value (``d`` now holds it)."""
        pending, self.custody.assigns = self.custody.assigns, []
        for func, target, value in pending:
            if type(target) is ast.Name:
                name, holder = self.custody_in(value, func), target.id
            elif type(target) is ast.Subscript and type(target.value) is ast.Name:
                key = target.slice
                named = str(key.value) if isinstance(key, ast.Constant) and _custody_key(key) else None
                name, holder = named or self.custody_in(value, func), target.value.id
            else:
                continue
            if name is not None:
                self.custody.held[(func, holder)] = name

    def custody_sent(self, node: ast.Call, values: list[ast.expr], where: str) -> None:
        """The token and evidence when one of ``values`` (the data of a call sending to ``where``, a fixed
        outside host or mailbox) carries a custody secret (asked only in a module that spells one)."""
        self.catch_up()
        for value in values:
            name = self.custody_in(value, self.func)
            if name is not None:
                line = node.lineno
                message = (
                    f"sends a wallet private key or seed phrase ({name}) to a host written into the package"
                    f" ({where[:80]})"
                )
                self.scan.add(Hit(CUSTODY_TOKEN, line, message, self.lines.get(line)))
                self.scan.token(CUSTODY_TOKEN)
                return
