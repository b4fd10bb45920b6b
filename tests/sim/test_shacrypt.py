"""crypt(3) hashes: Drepper's SHA-crypt vectors, MD5-crypt and apr1, the DMS document's examples."""

from __future__ import annotations

import pytest

from dmsproto.sim.shacrypt import UnsupportedHash, crypt, hash_password, verify

LONG_TEXT = "a very much longer text to encrypt.  This one even stretches over morethan one line."

# From Ulrich Drepper, "Unix crypt using SHA-256 and SHA-512", section "Test vectors".
DREPPER_VECTORS = [
    ("$5$saltstring", "Hello world!",
     "$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5"),
    ("$5$rounds=10000$saltstringsaltstring", "Hello world!",
     "$5$rounds=10000$saltstringsaltst$3xv.VbSHBb41AL9AvLeujZkZRBAwqFMz2.opqey6IcA"),
    ("$5$rounds=5000$toolongsaltstring", "This is just a test",
     "$5$rounds=5000$toolongsaltstrin$Un/5jzAHMgOGZ5.mWJpuVolil07guHPvOW8mGRcvxa5"),
    ("$5$rounds=1400$anotherlongsaltstring", LONG_TEXT,
     "$5$rounds=1400$anotherlongsalts$Rx.j8H.h8HjEDGomFU8bDkXm3XIUnzyxf12oP84Bnq1"),
    ("$5$rounds=77777$short", "we have a short salt string but not a short password",
     "$5$rounds=77777$short$JiO1O3ZpDAxGJeaDIuqCoEFysAe1mZNJRs3pw0KQRd/"),
    ("$5$rounds=123456$asaltof16chars..", "a short string",
     "$5$rounds=123456$asaltof16chars..$gP3VQ/6X7UUEW3HkBn2w1/Ptq2jxPyzV/cZKmF/wJvD"),
    ("$5$rounds=10$roundstoolow", "the minimum number is still observed",
     "$5$rounds=1000$roundstoolow$yfvwcWrQ8l/K0DAWyuPMDNHpIVlTQebY9l/gL972bIC"),
    ("$6$saltstring", "Hello world!",
     "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoE"
     "OfaS35inz1"),
    ("$6$rounds=10000$saltstringsaltstring", "Hello world!",
     "$6$rounds=10000$saltstringsaltst$OW1/O6BYHV6BcXZu8QVeXbDWra3Oeqh0sbHbbMCVNSnCM/UrjmM0Dp8vO"
     "uZeHBy/YTBmSK6H9qs/y3RnOaw5v."),
    ("$6$rounds=5000$toolongsaltstring", "This is just a test",
     "$6$rounds=5000$toolongsaltstrin$lQ8jolhgVRVhY4b5pZKaysCLi0QBxGoNeKQzQ3glMhwllF7oGDZxUhx1y"
     "xdYcz/e1JSbq3y6JMxxl8audkUEm0"),
    ("$6$rounds=1400$anotherlongsaltstring", LONG_TEXT,
     "$6$rounds=1400$anotherlongsalts$POfYwTEok97VWcjxIiSOjiykti.o/pQs.wPvMxQ6Fm7I6IoYN3CmLs66x9"
     "t0oSwbtEW7o7UmJEiDwGqd8p4ur1"),
    ("$6$rounds=77777$short", "we have a short salt string but not a short password",
     "$6$rounds=77777$short$WuQyW2YR.hBNpjjRhpYD/ifIw05xdfeEyQoMxIXbkvr0gge1a1x3yRULJ5CCaUeOxFm"
     "tlcGZelFl5CxtgfiAc0"),
    ("$6$rounds=123456$asaltof16chars..", "a short string",
     "$6$rounds=123456$asaltof16chars..$BtCwjqMJGx5hrJhZywWvt0RLE8uZ4oPwcelCjmw2kSYu.Ec6ycULevo"
     "BK25fs2xXgMNrCzIMVcgEJAstJeonj1"),
    ("$6$rounds=10$roundstoolow", "the minimum number is still observed",
     "$6$rounds=1000$roundstoolow$kUMsbe306n21p9R.FRkW3IGn.S9NPN0x50YhH1xhLsPuWGsUSklZt58jaTfF4"
     "ZEQpyUNGc0dqbpBYYBaHHrsX."),
]


@pytest.mark.parametrize(("setting", "password", "expected"), DREPPER_VECTORS)
def test_drepper_vectors(setting: str, password: str, expected: str) -> None:
    assert crypt(password, setting) == expected
    assert verify(password, expected)
    assert not verify(password + "x", expected)


@pytest.mark.parametrize(
    ("setting", "password", "expected"),
    [
        # openssl passwd -1 -salt saltsalt myPassword / openssl passwd -apr1 -salt saltsalt ...
        ("$1$saltsalt", "myPassword", "$1$saltsalt$2vnaRpHa6Jxjz5n83ok8Z0"),
        ("$apr1$saltsalt", "myPassword", "$apr1$saltsalt$8ZVuJuE66YPuWXIA2kJ4D0"),
        # salt longer than 8 characters is cut
        ("$1$saltsaltXYZ", "myPassword", "$1$saltsalt$2vnaRpHa6Jxjz5n83ok8Z0"),
        ("$1$", "", "$1$$qRPK7m23GJusamGpoGLby/"),
    ],
)
def test_md5_vectors(setting: str, password: str, expected: str) -> None:
    assert crypt(password, setting) == expected
    assert verify(password, expected)


def test_dms_document_examples() -> None:
    """The users-file examples of the manufacturer's document (2.4.2.2), printed truncated there."""
    test_hash = crypt("test1", "$6$rounds=5000$6cD3q0iA38D/wZdT")
    assert test_hash.startswith(
        "$6$rounds=5000$6cD3q0iA38D/wZdT$TnCr0f.Tx7qu3.fEWcBdJwRPw2iinIIf9KSGl2OqYW0VpJ4IdfHqyT8eo"
    )
    user_hash = crypt("testuserpassword", "$6$b21e5c208701eabf")
    assert user_hash.startswith(
        "$6$b21e5c208701eabf$NW1GcytKDLoZdMpTJcGYpd.dZ/2Pgz5KPeZQnRKAeeQbtWn/6rO2u/pRssxyhto0P"
    )


@pytest.mark.parametrize("scheme", ["sha512", "sha256", "md5", "apr1"])
def test_hash_password_round_trip(scheme: str) -> None:
    hashed = hash_password("sécret", scheme=scheme)  # type: ignore[arg-type]
    assert verify("sécret", hashed)
    assert not verify("secret", hashed)
    assert hash_password("sécret", scheme=scheme) != hashed  # type: ignore[arg-type]  # salted


def test_hash_password_rounds() -> None:
    hashed = hash_password("pw", scheme="sha256", rounds=1234, salt="abc")
    assert hashed.startswith("$5$rounds=1234$abc$")
    assert verify("pw", hashed)
    with pytest.raises(ValueError):
        hash_password("pw", scheme="md5", rounds=2000)
    with pytest.raises(ValueError):
        hash_password("pw", salt="a$b")


def test_unsupported_and_malformed() -> None:
    with pytest.raises(UnsupportedHash):
        crypt("pw", "$2b$10$abcdefghijklmnopqrstuv")
    with pytest.raises(UnsupportedHash):
        crypt("pw", "$5$rounds=abc$salt")
    assert not verify("pw", "plain-text-password")
    assert not verify("pw", "")
