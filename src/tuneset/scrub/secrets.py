"""Secrets: detect-secrets plugins plus the context rules chat text needs.

detect-secrets is built to scan source files line by line. Its plugins' patterns are reused here on
free text: every ``RegexBasedDetector`` listed in :data:`PLUGIN_TYPES` contributes its ``denylist``
regexes (AWS, GitHub, GitLab, Slack, JWT, Stripe, Twilio, SendGrid, npm, PyPI, ...), its keyword
detector contributes the ``key = value`` / ``key: value`` assignment regexes, and its Shannon
entropy is the test of a high-entropy value. Additions that chat logs need and the plugins miss:

- OpenAI-style keys without the ``T3BlbkFJ`` marker (``sk-...``, ``sk-proj-...``);
- connection strings whose password holds ``!`` or ``$`` (``postgres://user:pa$$@host``), which the
  BasicAuth pattern skips;
- whole private-key blocks (the plugin only matches the ``BEGIN`` line);
- passwords and keys in prose ("my password is ...", "my aws secret key is ...");
- high-entropy values after any key-ish name (``aws_secret_access_key = ...``).

A match is reported as the span of the secret itself (the value, not the key name), with a type of
:mod:`tuneset.scrub.types`. Nothing here logs or stores a matched value.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from detect_secrets.plugins import keyword as ds_keyword
from detect_secrets.plugins.artifactory import ArtifactoryDetector
from detect_secrets.plugins.aws import AWSKeyDetector
from detect_secrets.plugins.azure_storage_key import AzureStorageKeyDetector
from detect_secrets.plugins.basic_auth import BasicAuthDetector
from detect_secrets.plugins.discord import DiscordBotTokenDetector
from detect_secrets.plugins.github_token import GitHubTokenDetector
from detect_secrets.plugins.gitlab_token import GitLabTokenDetector
from detect_secrets.plugins.high_entropy_strings import Base64HighEntropyString, HexHighEntropyString
from detect_secrets.plugins.jwt import JwtTokenDetector
from detect_secrets.plugins.mailchimp import MailchimpDetector
from detect_secrets.plugins.npm import NpmDetector
from detect_secrets.plugins.openai import OpenAIDetector
from detect_secrets.plugins.pypi_token import PypiTokenDetector
from detect_secrets.plugins.sendgrid import SendGridDetector
from detect_secrets.plugins.slack import SlackDetector
from detect_secrets.plugins.square_oauth import SquareOAuthDetector
from detect_secrets.plugins.stripe import StripeDetector
from detect_secrets.plugins.telegram_token import TelegramBotTokenDetector
from detect_secrets.plugins.twilio import TwilioKeyDetector

from tuneset.scrub import types as T

#: detect-secrets regex plugins and the type each one reports.
PLUGIN_TYPES: dict[type, str] = {
    AWSKeyDetector: T.AWS_KEY,
    GitHubTokenDetector: T.GITHUB_TOKEN,
    GitLabTokenDetector: T.GITLAB_TOKEN,
    SlackDetector: T.SLACK_TOKEN,
    JwtTokenDetector: T.JWT,
    OpenAIDetector: T.API_KEY,
    StripeDetector: T.API_KEY,
    TwilioKeyDetector: T.API_KEY,
    SendGridDetector: T.API_KEY,
    MailchimpDetector: T.API_KEY,
    NpmDetector: T.API_KEY,
    PypiTokenDetector: T.API_KEY,
    DiscordBotTokenDetector: T.API_KEY,
    TelegramBotTokenDetector: T.API_KEY,
    ArtifactoryDetector: T.API_KEY,
    AzureStorageKeyDetector: T.API_KEY,
    SquareOAuthDetector: T.API_KEY,
    BasicAuthDetector: T.URL_CREDENTIALS,
}

_TOKEN_CHARS = re.compile(r"[A-Za-z0-9_\-.+/=]*")

OPENAI_KEY = re.compile(r"(?<![\w-])sk-(?:proj-|svcacct-|admin-|live-|test-)?[A-Za-z0-9_\-]{20,}")
GITHUB_FINE_GRAINED = re.compile(r"(?<!\w)github_pat_[A-Za-z0-9_]{22,}")
URL_USERINFO = re.compile(r"\b[a-z][a-z0-9+.\-]*://([^\s:/@'\"]+):([^\s@/'\"]+)@", re.I)
PRIVATE_KEY_BLOCK = re.compile(
    r"-----BEGIN ((?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?)-----.*?(?:-----END \1-----|\Z)|PuTTY-User-Key-File-\d.*?(?:Private-MAC: \S+|\Z)",
    re.S)
PROSE_PASSWORD = re.compile(
    r"\b(?:password|passcode|passphrase|passwd|pwd|pin)\s+(?:is|was|would be|=|:)\s*:?\s+[\"'`]?(?P<v>[^\s\"'`]{4,})", re.I)
KEY_VALUE_ENTROPY = re.compile(
    r"(?P<k>\b[A-Za-z0-9_\-]*(?:key|token|secret|credential|auth|passw(?:or)?d|pwd|signature|sig)[A-Za-z0-9_\-]*)"
    r"[\"']?\s*(?:=|:|=>)\s*[\"']?(?P<v>[A-Za-z0-9+/=_\-.~]{16,})", re.I)
PROSE_KEY = re.compile(
    r"\b(?P<k>(?:aws\s+)?(?:secret|api|access|private|auth)\s+(?:access\s+)?(?:key|token))\s+(?:is|was)\s*:?\s+"
    r"[\"'`]?(?P<v>[A-Za-z0-9+/=_\-.~]{16,})", re.I)
_KEYWORD_REGEXES = (  # detect-secrets keyword plugin: (regex, group of the value)
    (ds_keyword.FOLLOWED_BY_COLON_QUOTES_REQUIRED_REGEX, 5),
    (ds_keyword.FOLLOWED_BY_EQUAL_SIGNS_QUOTES_REQUIRED_REGEX, 5),
    (ds_keyword.FOLLOWED_BY_COLON_REGEX, 4),
    (ds_keyword.FOLLOWED_BY_EQUAL_SIGNS_REGEX, 5),
    (ds_keyword.FOLLOWED_BY_QUOTES_AND_SEMICOLON_REGEX, 3),
)
_KEYWORD_TRIGGER = re.compile(ds_keyword.DENYLIST_REGEX, re.I)
_PASSWORD_KEY = re.compile(r"pass|pwd|contrase", re.I)
_PLACEHOLDER_VALUE = re.compile(r"^(?:<[^>]*>|\*+|x+|\.+|\$\{?\w+\}?|%\w+%|null|none|true|false|redacted|\[\w+\])$", re.I)

_B64 = Base64HighEntropyString()
_HEX = HexHighEntropyString()


@dataclass(frozen=True)
class SecretMatch:
    start: int
    end: int
    type: str
    rule: str


def entropy(value: str) -> float:
    """Shannon entropy in bits per character (detect-secrets' base64 or hex charset, whichever fits)."""
    if value and all(c in "0123456789abcdefABCDEF" for c in value):
        return _HEX.calculate_shannon_entropy(value)
    return _B64.calculate_shannon_entropy(value)


def looks_secret(value: str, *, min_len: int = 6) -> bool:
    """A value in key/value or prose context that is plausibly a credential, not a word or a placeholder."""
    if len(value) < min_len or _PLACEHOLDER_VALUE.match(value):
        return False
    has_digit = any(c.isdigit() for c in value)
    has_symbol = any(not c.isalnum() for c in value)
    mixed = any(c.isupper() for c in value) and any(c.islower() for c in value)
    return has_digit or has_symbol or (mixed and entropy(value) >= 3.0)


def _extend(text: str, end: int) -> int:
    """Extend a token match over the rest of its token characters (plugin patterns may stop early)."""
    m = _TOKEN_CHARS.match(text, end)
    return m.end() if m else end


def _strip_tail(text: str, start: int, end: int) -> int:
    while end > start and text[end - 1] in ".,;:)]}>\"'`":
        end -= 1
    return end


# Cheap necessary conditions (substring tests on the text or its casefold, one character-class run):
# a regex runs only on texts that can hold its match, which is most of the cost saved on chat logs.
# any token of 16+ characters (every long-token pattern needs one); \d and IGNORECASE make its class a
# superset of the plugins' classes (Unicode digits, the Kelvin sign and long s fold into [a-z])
_RUN16 = re.compile(r"[A-Za-z0-9\d+/=_\-.~]{16}", re.IGNORECASE)
#: Gate of every plugin pattern, by (plugin, index in its ``denylist``): most need a 16+ character token
#: (``run``), the others a literal. A test checks that every pattern has one (a detect-secrets upgrade
#: that adds a pattern must add its gate).
_RUN = lambda t, low, run: run  # noqa: E731
PLUGIN_GATES = {
    (AWSKeyDetector, 0): _RUN,                                    # AKIA + 16
    (AWSKeyDetector, 1): lambda t, low, run: "aws" in low and run,  # aws ... '<40 chars>'
    (GitHubTokenDetector, 0): _RUN,                               # ghp_ + 36
    **{(GitLabTokenDetector, i): _RUN for i in range(len(GitLabTokenDetector.denylist))},  # 20+
    (SlackDetector, 0): lambda t, low, run: "xox" in low,
    (SlackDetector, 1): lambda t, low, run: "hooks.slack.com" in low,
    (JwtTokenDetector, 0): lambda t, low, run: "eyJ" in t,
    (OpenAIDetector, 0): _RUN,
    (StripeDetector, 0): lambda t, low, run: "k_live_" in t,
    (TwilioKeyDetector, 0): _RUN,                                 # AC + 32
    (TwilioKeyDetector, 1): _RUN,                                 # SK + 32
    (SendGridDetector, 0): _RUN,
    (MailchimpDetector, 0): lambda t, low, run: "-us" in t and run,
    (NpmDetector, 0): lambda t, low, run: "_authToken" in t,
    (PypiTokenDetector, 0): lambda t, low, run: "pypi-" in t,
    (PypiTokenDetector, 1): lambda t, low, run: "pypi-" in t,
    (DiscordBotTokenDetector, 0): _RUN,
    (TelegramBotTokenDetector, 0): lambda t, low, run: ":" in t and run,
    (ArtifactoryDetector, 0): lambda t, low, run: "AKC" in t,
    (ArtifactoryDetector, 1): lambda t, low, run: "AP" in t,
    (AzureStorageKeyDetector, 0): lambda t, low, run: "AccountKey=" in t,
    (SquareOAuthDetector, 0): lambda t, low, run: "sq0csp-" in t,
    (BasicAuthDetector, 0): lambda t, low, run: "://" in t,
}
_KEYWORD_NEEDLES = ("key", "pass", "pwd", "secret", "contrase")  # every detect-secrets DENYLIST word holds one
_KEY_VALUE_NEEDLES = ("key", "token", "secret", "credential", "auth", "pass", "pwd", "sig")
_PLUGIN_REGEXES = tuple((plugin, kind, rx, PLUGIN_GATES.get((plugin, i)))
                        for plugin, kind in PLUGIN_TYPES.items() for i, rx in enumerate(plugin.denylist))


def find_secrets(text: str) -> Iterator[SecretMatch]:
    """Every secret-looking span of ``text`` (overlaps allowed; the caller resolves them)."""
    low = text.casefold()
    run = _RUN16.search(text) is not None
    for plugin, kind, rx, gate in _PLUGIN_REGEXES:
        if gate is not None and not gate(text, low, run):  # (a missing gate: always run)
            continue
        for m in rx.finditer(text):
            if m.re.groups and m.group(1) is not None and plugin is not BasicAuthDetector:
                start, end = m.span(1)
            elif plugin is BasicAuthDetector:
                start, end = m.start() + 3, m.end() - 1  # user:password between :// and @
            else:
                start, end = m.span()
            if plugin is not BasicAuthDetector:
                end = _strip_tail(text, start, _extend(text, end))
            if plugin is JwtTokenDetector and not JwtTokenDetector.is_formally_valid(text[start:end]):
                continue
            if end > start:
                yield SecretMatch(start, end, kind, plugin.__name__)
    if run and "sk-" in text:
        for m in OPENAI_KEY.finditer(text):
            yield SecretMatch(m.start(), _strip_tail(text, m.start(), m.end()), T.API_KEY, "openai_style_key")
    if run and "github_pat_" in text:
        for m in GITHUB_FINE_GRAINED.finditer(text):
            yield SecretMatch(m.start(), m.end(), T.GITHUB_TOKEN, "github_fine_grained_pat")
    if "://" in text:
        for m in URL_USERINFO.finditer(text):
            yield SecretMatch(m.start(1), m.end(2), T.URL_CREDENTIALS, "url_userinfo")
    if "PRIVATE KEY" in text or "PuTTY-User-Key-File" in text:
        for m in PRIVATE_KEY_BLOCK.finditer(text):
            yield SecretMatch(m.start(), m.end(), T.PRIVATE_KEY, "private_key_block")
    if any(w in low for w in _KEYWORD_NEEDLES):
        yield from _keyword_secrets(text)
    if run and ("key" in low or "token" in low):  # the value is a 16+ character token
        for m in PROSE_KEY.finditer(text):
            start, end = m.start("v"), _strip_tail(text, m.start("v"), m.end("v"))
            if entropy(text[start:end]) >= 3.5:
                yield SecretMatch(start, end, T.AWS_KEY if "aws" in m.group("k").lower() else T.SECRET, "key_in_prose")
    if run and any(w in low for w in _KEY_VALUE_NEEDLES):
        for m in KEY_VALUE_ENTROPY.finditer(text):
            start, end = m.span("v")
            end = _strip_tail(text, start, end)
            value = text[start:end]
            if entropy(value) >= 3.5 or (len(value) >= 20 and entropy(value) >= 3.0):
                kind = T.AWS_KEY if "aws" in m.group("k").lower() else T.SECRET
                yield SecretMatch(start, end, kind, "high_entropy_key_value")


def _keyword_secrets(text: str) -> Iterator[SecretMatch]:
    """detect-secrets' keyword plugin (``password = ...``, ``api_key: ...``) and passwords in prose."""
    if _KEYWORD_TRIGGER.search(text) is not None:
        for rx, group in _KEYWORD_REGEXES:
            for m in rx.finditer(text):
                start, end = m.span(group)
                raw = text[start:end]
                quoted = start > 0 and text[start - 1] in "\"'`"
                if not quoted:  # an unquoted value ends at the first blank
                    cut = re.search(r"\s", raw)
                    end = start + cut.start() if cut else end
                    end = _strip_tail(text, start, end)
                value = text[start:end]
                if looks_secret(value, min_len=4 if quoted else 6):
                    kind = T.PASSWORD if _PASSWORD_KEY.search(m.group(0)[: m.start(group) - m.start()]) else T.SECRET
                    yield SecretMatch(start, end, kind, "detect_secrets_keyword")
        for m in PROSE_PASSWORD.finditer(text):
            start = m.start("v")
            end = _strip_tail(text, start, m.end("v"))
            if looks_secret(text[start:end]):
                yield SecretMatch(start, end, T.PASSWORD, "password_in_prose")
