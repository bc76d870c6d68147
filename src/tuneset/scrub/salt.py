"""The PII key: read from ``TUNESET_PII_SALT``, never from ``conf/`` or ``params.yaml``; only its fingerprint is recorded.

The key seeds every surrogate (so the same value gets the same surrogate on every run with the same
key, and a different one under another key) and keys the hashes of original values that scrub hands
to the leak scan. ``make demo`` runs with :data:`DEMO_SALT`, a public key that protects nothing, and
every report of a run that used it says so. Any other run without a key fails with
:data:`MISSING_MESSAGE`.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from pathlib import Path

ENV_VAR = "TUNESET_PII_SALT"
#: The documented demo key of ``make demo``: public, so surrogates made with it can be linked back by anyone.
DEMO_SALT = "tuneset-public-demo-salt-not-a-secret"
MISSING_MESSAGE = (
    f"{ENV_VAR} is not set. The scrub stage needs a secret key: it derives the consistent surrogates and the "
    f"keyed hashes of original values from it, and it is never read from conf/ or params.yaml. Create one and "
    f"keep it (a new key changes every surrogate and re-runs scrub):\n"
    f"  export {ENV_VAR}=$(python -c 'import secrets; print(secrets.token_hex(32))')\n"
    f"`make demo` uses the public demo key {DEMO_SALT!r}, which protects nothing."
)


class SaltError(RuntimeError):
    """The PII key cannot be used: its message names the variable and the file, never the key."""


class SaltMissing(SaltError):
    """``TUNESET_PII_SALT`` is unset or empty."""


class SaltMismatch(SaltError):
    """``TUNESET_PII_SALT`` is not the key whose fingerprint was recorded."""


def salt_from_env(environ: Mapping[str, str] | None = None) -> str:
    """The key from the environment, or :class:`SaltMissing` with the fix in the message."""
    value = (os.environ if environ is None else environ).get(ENV_VAR, "")
    if not value.strip():
        raise SaltMissing(MISSING_MESSAGE)
    return value


def fingerprint(salt: str) -> str:
    """sha256 of the domain-separated key: identifies the key in VERSION.json without revealing it."""
    return hashlib.sha256(b"tuneset-pii-salt-fingerprint\0" + salt.encode("utf-8")).hexdigest()


def checked_salt(recorded: str | Path, mismatch: str, *, must_exist: bool = False,
                 environ: Mapping[str, str] | None = None) -> str:
    """The key from the environment (:func:`salt_from_env`), checked against the fingerprint recorded
    in the file ``recorded`` (by the salt_fingerprint stage). A missing file passes unless
    ``must_exist``; a different key raises :class:`SaltMismatch` with ``mismatch``, in which
    ``{var}`` stands for the variable and ``{path}`` for the file."""
    key = salt_from_env(environ)
    path = Path(recorded)
    if (must_exist or path.exists()) and path.read_text(encoding="utf-8").strip() != fingerprint(key):
        raise SaltMismatch(mismatch.format(var=ENV_VAR, path=path))
    return key


def is_demo(salt: str) -> bool:
    return salt == DEMO_SALT


class Keyed:
    """Keyed hashing under the PII key (BLAKE2b, 128-bit digests): stable ids for values, never reversible
    without the key."""

    def __init__(self, salt: str) -> None:
        self._key = hashlib.sha256(b"tuneset-pii-key\0" + salt.encode("utf-8")).digest()

    def hash(self, text: str) -> str:
        return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), key=self._key, digest_size=16).hexdigest()

    def seed(self, *parts: str) -> int:
        """A 64-bit seed from the key and ``parts`` (the surrogate of a value is drawn from it)."""
        data = "\0".join(parts).encode("utf-8", "surrogatepass")
        return int.from_bytes(hashlib.blake2b(data, key=self._key, digest_size=8, person=b"tuneset-seed").digest(), "big")
