"""Upbit's request tokens: the claims Upbit documents, the query hash of exactly what is
sent (repeated `states[]` names unescaped, in order), a fresh nonce each time."""

import hashlib

import jwt
import pytest

from tui_trader.upbit.auth import query_string, token

ACCESS, SECRET = (
    "FAKE-access-key-000000000000000000000000",
    "FAKE-secret-key-0000000000000000000000000",
)


def test_a_token_without_parameters_has_no_query_hash() -> None:
    claims = jwt.decode(token(ACCESS, SECRET), SECRET, algorithms=["HS256"])
    assert claims.keys() == {"access_key", "nonce"} and claims["access_key"] == ACCESS


def test_the_query_hash_covers_the_query_string_as_sent() -> None:
    query = [("states[]", "wait"), ("states[]", "watch"), ("page", "1")]
    assert query_string(query) == "states[]=wait&states[]=watch&page=1"
    claims = jwt.decode(token(ACCESS, SECRET, query), SECRET, algorithms=["HS256"])
    expected = hashlib.sha512(b"states[]=wait&states[]=watch&page=1").hexdigest()
    assert (claims["query_hash"], claims["query_hash_alg"]) == (expected, "SHA512")


def test_every_token_has_its_own_nonce_and_the_secret_signs_it() -> None:
    first, second = token(ACCESS, SECRET), token(ACCESS, SECRET)
    nonces = {jwt.decode(t, SECRET, algorithms=["HS256"])["nonce"] for t in (first, second)}
    assert len(nonces) == 2
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(first, "FAKE-another-secret-00000000000000000000", algorithms=["HS256"])
