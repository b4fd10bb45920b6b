"""crypt(3) password hashes in pure Python, for the simulator's users file.

The DMS stores Basic-auth passwords as crypt(3) strings; the stdlib ``crypt`` module
is deprecated (gone in 3.13) and platform dependent, so the four schemes the DMS
accepts are implemented here:

* ``$5$`` SHA-256-crypt and ``$6$`` SHA-512-crypt, per Ulrich Drepper's
  "Unix crypt using SHA-256 and SHA-512" (with ``rounds=N``, clamped to 1000..999999999,
  default 5000, salt up to 16 characters);
* ``$1$`` MD5-crypt (Poul-Henning Kamp) and ``$apr1$`` (Apache's variant: same
  algorithm, different magic), salt up to 8 characters, 1000 rounds.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable, Sequence
from typing import Literal

__all__ = ["UnsupportedHash", "crypt", "hash_password", "verify"]

_ALPHABET = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

_ROUNDS_DEFAULT = 5000
_ROUNDS_MIN = 1000
_ROUNDS_MAX = 999_999_999

# Byte order of the final encoding, three bytes (B2, B1, B0) -> four characters.
_SHA256_ORDER: Sequence[tuple[int, int, int]] = (
    (0, 10, 20), (21, 1, 11), (12, 22, 2), (3, 13, 23), (24, 4, 14),
    (15, 25, 5), (6, 16, 26), (27, 7, 17), (18, 28, 8), (9, 19, 29),
)
_SHA512_ORDER: Sequence[tuple[int, int, int]] = (
    (0, 21, 42), (22, 43, 1), (44, 2, 23), (3, 24, 45), (25, 46, 4),
    (47, 5, 26), (6, 27, 48), (28, 49, 7), (50, 8, 29), (9, 30, 51),
    (31, 52, 10), (53, 11, 32), (12, 33, 54), (34, 55, 13), (56, 14, 35),
    (15, 36, 57), (37, 58, 16), (59, 17, 38), (18, 39, 60), (40, 61, 19),
    (62, 20, 41),
)
_MD5_ORDER: Sequence[tuple[int, int, int]] = (
    (0, 6, 12), (1, 7, 13), (2, 8, 14), (3, 9, 15), (4, 10, 5),
)


class UnsupportedHash(ValueError):
    """The hash string names no scheme this module implements (or is malformed)."""


def _b64_24bit(b2: int, b1: int, b0: int, n: int) -> str:
    w = (b2 << 16) | (b1 << 8) | b0
    out = []
    for _ in range(n):
        out.append(_ALPHABET[w & 0x3F])
        w >>= 6
    return "".join(out)


def _encode(digest: bytes, order: Sequence[tuple[int, int, int]]) -> str:
    return "".join(_b64_24bit(digest[a], digest[b], digest[c], 4) for a, b, c in order)


def _repeat(block: bytes, length: int) -> bytes:
    """``block`` repeated and cut to ``length`` bytes."""
    full, rest = divmod(length, len(block))
    return block * full + block[:rest]


def _sha_crypt(password: bytes, setting: str, magic: str) -> str:
    hash_fn: Callable[[bytes], hashlib._Hash]
    if magic == "5":
        hash_fn, order, tail = hashlib.sha256, _SHA256_ORDER, 2
    else:
        hash_fn, order, tail = hashlib.sha512, _SHA512_ORDER, 3
    rest = setting[len(magic) + 2 :]
    rounds = _ROUNDS_DEFAULT
    custom_rounds = False
    if rest.startswith("rounds="):
        number, sep, rest = rest[len("rounds=") :].partition("$")
        if not sep or not number.isdigit():
            raise UnsupportedHash("malformed rounds= in hash")
        rounds = min(max(int(number), _ROUNDS_MIN), _ROUNDS_MAX)
        custom_rounds = True
    salt_text = rest.split("$", 1)[0][:16]
    salt = salt_text.encode("utf-8")
    pw = password

    digest_b = hash_fn(pw + salt + pw).digest()
    ctx = hash_fn(pw + salt)
    ctx.update(_repeat(digest_b, len(pw)))
    n = len(pw)
    while n:
        ctx.update(digest_b if n & 1 else pw)
        n >>= 1
    digest_a = ctx.digest()

    p_bytes = _repeat(hash_fn(pw * len(pw)).digest(), len(pw))
    s_bytes = _repeat(hash_fn(salt * (16 + digest_a[0])).digest(), len(salt))

    c = digest_a
    for i in range(rounds):
        ctx = hash_fn(p_bytes if i & 1 else c)
        if i % 3:
            ctx.update(s_bytes)
        if i % 7:
            ctx.update(p_bytes)
        ctx.update(c if i & 1 else p_bytes)
        c = ctx.digest()

    encoded = _encode(c, order)
    if tail == 2:  # SHA-256: 32 bytes = 10 groups + 2 bytes
        encoded += _b64_24bit(0, c[31], c[30], 3)
    else:  # SHA-512: 64 bytes = 21 groups + 1 byte
        encoded += _b64_24bit(0, 0, c[63], 2)
    prefix = f"${magic}$" + (f"rounds={rounds}$" if custom_rounds else "")
    return f"{prefix}{salt_text}${encoded}"


def _md5_crypt(password: bytes, setting: str, magic: str) -> str:
    prefix = f"${magic}$"
    salt_text = setting[len(prefix) :].split("$", 1)[0][:8]
    salt = salt_text.encode("utf-8")
    pw = password

    final = hashlib.md5(pw + salt + pw).digest()
    ctx = hashlib.md5(pw + prefix.encode("ascii") + salt)
    ctx.update(_repeat(final, len(pw)))
    n = len(pw)
    while n:
        ctx.update(b"\0" if n & 1 else pw[:1])
        n >>= 1
    final = ctx.digest()

    for i in range(1000):
        ctx = hashlib.md5(pw if i & 1 else final)
        if i % 3:
            ctx.update(salt)
        if i % 7:
            ctx.update(pw)
        ctx.update(final if i & 1 else pw)
        final = ctx.digest()

    encoded = _encode(final, _MD5_ORDER) + _b64_24bit(0, 0, final[11], 2)
    return f"{prefix}{salt_text}${encoded}"


def _scheme(setting: str) -> str:
    for magic in ("5", "6", "1", "apr1"):
        if setting.startswith(f"${magic}$"):
            return magic
    raise UnsupportedHash(f"unsupported crypt scheme: {setting[:8]!r}")


def crypt(password: str | bytes, setting: str) -> str:
    """Hash ``password`` with the scheme, rounds and salt of ``setting``.

    ``setting`` is either a full hash (to verify against) or just ``$id$[rounds=N$]salt``.
    """
    pw = password.encode("utf-8") if isinstance(password, str) else password
    magic = _scheme(setting)
    if magic in ("5", "6"):
        return _sha_crypt(pw, setting, magic)
    return _md5_crypt(pw, setting, magic)


def verify(password: str | bytes, hashed: str) -> bool:
    """True if ``password`` matches the crypt(3) string ``hashed`` (constant-time compare).

    An unsupported or malformed hash never matches.
    """
    try:
        candidate = crypt(password, hashed)
    except UnsupportedHash:
        return False
    return hmac.compare_digest(candidate.encode("utf-8"), hashed.encode("utf-8"))


def hash_password(
    password: str | bytes,
    *,
    scheme: Literal["sha512", "sha256", "md5", "apr1"] = "sha512",
    rounds: int | None = None,
    salt: str | None = None,
) -> str:
    """A new crypt(3) hash of ``password`` (random salt unless given), for users files."""
    magic = {"sha512": "6", "sha256": "5", "md5": "1", "apr1": "apr1"}[scheme]
    if salt is None:
        length = 16 if magic in ("5", "6") else 8
        salt = "".join(secrets.choice(_ALPHABET) for _ in range(length))
    if any(ch in salt for ch in "$:\n"):
        raise ValueError("salt must not contain '$', ':' or newlines")
    setting = f"${magic}$"
    if rounds is not None:
        if magic not in ("5", "6"):
            raise ValueError("rounds= applies to $5$ and $6$ only")
        setting += f"rounds={rounds}$"
    return crypt(password, setting + salt)
