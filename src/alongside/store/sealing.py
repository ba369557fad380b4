"""Secrets the service must read back in full are sealed in the database, not kept readable:
each account's second-factor (TOTP) secret and each team's webhook signing secret. A copy of
the database, a backup or a read-only SQL account then gives neither the codes that sign
someone in nor the signature a hospital's receiver trusts. (Passwords and recovery codes are
not here: they are argon2 hashes, never read back.)

Sealed with Fernet (AES-128-CBC with HMAC-SHA256, the `cryptography` package) under the
service's key: `ALONGSIDE_SECRETS_KEYS` (comma-separated, the first seals and every one opens,
so a key can be rotated), else the file `secrets.key` in ALONGSIDE_DATA_DIR, made on first
use, readable by its owner only. The key is never in the database nor in `alongside backup`'s
archive: keep it as the service's other credentials are kept. A value stored before sealing
(no prefix) is read as it is; migration 0026 sealed those.
"""

from __future__ import annotations

import logging
import os
import threading
from functools import cache
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import String
from sqlalchemy.types import TypeDecorator

from .database import default_data_dir

log = logging.getLogger(__name__)

PREFIX = "sealed:1:"
KEYS_ENV = "ALONGSIDE_SECRETS_KEYS"
KEY_FILE = "secrets.key"

_lock = threading.Lock()
_sealers: dict[tuple[str, ...], MultiFernet] = {}


class SecretsKeyError(RuntimeError):
    """The key is missing, malformed, or not the one the secret was sealed with."""


def seal(plain: str) -> str:
    return PREFIX + _sealer().encrypt(plain.encode()).decode()


def unseal(stored: str) -> str:
    if not stored.startswith(PREFIX):
        return stored  # written before sealing
    try:
        return _sealer().decrypt(stored[len(PREFIX):].encode()).decode()
    except InvalidToken:
        raise SecretsKeyError(f"A sealed secret does not open with the service's key ({_where()}): the key was "
                              "changed or lost. Put the old key back, first in ALONGSIDE_SECRETS_KEYS if you "
                              "are rotating it.") from None


def new_key() -> str:
    return Fernet.generate_key().decode()


class Sealed(TypeDecorator):
    """A string column whose value is sealed on the way in and opened on the way out.

    A value the key cannot open reads as None, with an error logged, and never raises: the team's
    row (and so its webhook secret) is read on every check-in and every alert email, and a lost key
    must not stop a red alert. What then fails is only what needed the secret: that person's
    authenticator codes (recovery codes still work, an administrator can reset the factor), and the
    webhook's signature (sent unsigned, which a receiver checking signatures refuses). The stored
    value is left as it was, so putting the key back restores both."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else seal(value)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        try:
            return unseal(value)
        except SecretsKeyError as error:
            log.error("%s", error)
            return None


def _sealer() -> MultiFernet:
    keys = _keys()
    with _lock:
        if keys not in _sealers:
            try:
                _sealers[keys] = MultiFernet([Fernet(key) for key in keys])
            except ValueError:
                raise SecretsKeyError(f"The service's key ({_where()}) is not a Fernet key: make one with "
                                      "`alongside secrets-key`") from None
        return _sealers[keys]


def _named_keys() -> tuple[str, ...]:
    return tuple(k.strip() for k in os.environ.get(KEYS_ENV, "").split(",") if k.strip())


def _keys() -> tuple[str, ...]:
    """The environment is read each time (a dictionary lookup; a test or an operator may change
    it); the key file once per process and folder, not at every read of a team's row."""
    return _named_keys() or (_key_file(default_data_dir() / KEY_FILE),)


@cache
def _key_file(path: Path) -> str:
    """The key in `path`, made there first if there is none: written whole under another name and
    linked into place, so two processes starting at once agree on one key."""
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w") as file:
            file.write(new_key() + "\n")
            file.flush()
            os.fsync(file.fileno())
        try:
            os.link(draft, path)
        except FileExistsError:
            pass  # another process made it first: use theirs
    finally:
        draft.unlink(missing_ok=True)
    return path.read_text().strip()


def _where() -> str:
    return KEYS_ENV if _named_keys() else str(default_data_dir() / KEY_FILE)
