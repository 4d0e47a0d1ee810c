"""Upbit's request signing: one JWT per request, signed with the secret key.

Why PyJWT: a small, typed, well-kept library that does exactly this (encode and verify
HMAC-signed tokens); hand-rolled base64url and HMAC would be ours to get wrong.

The token's claims, as Upbit documents them: `access_key`, a fresh `nonce` (uuid4: Upbit
refuses a nonce it has seen, `nonce_used`), and, when the request has parameters,
`query_hash` = SHA-512 (hex) of the query string and `query_hash_alg` = "SHA512". The
query string is the parameters url-encoded in the order sent, with brackets of array
names (`states[]`) left unescaped, as Upbit hashes them. A POST's JSON body is hashed as
the same query string. Signed with HS256, which Upbit accepts (its guide also shows
HS512): Upbit's secret keys are 40 characters, long enough for HS256 but under the 64
bytes RFC 7518 asks of an HS512 key, which PyJWT warns about on every request."""

import hashlib
import uuid
from collections.abc import Mapping, Sequence
from urllib.parse import unquote, urlencode

import jwt

ALGORITHM = "HS256"
Params = Mapping[str, str] | Sequence[tuple[str, str]]  # pairs: repeated names, in order


def query_string(params: Params) -> str:
    """`a=1&states[]=wait&states[]=watch`: what the request sends and the hash covers."""
    return unquote(urlencode(params))


def query_hash(params: Params) -> str:
    return hashlib.sha512(query_string(params).encode()).hexdigest()


def token(access_key: str, secret_key: str, params: Params | None = None) -> str:
    """The bearer token for one request with `params` (None or empty: no query hash)."""
    claims: dict[str, str] = {"access_key": access_key, "nonce": str(uuid.uuid4())}
    if params:
        claims |= {"query_hash": query_hash(params), "query_hash_alg": "SHA512"}
    return jwt.encode(claims, secret_key, algorithm=ALGORITHM)
