"""Deterministic client order ids and the set of ids already used.

The id is a hash of the intent id, so the same decision (same strategy, symbol and
candle; or the same exit of the same position) always maps to the same id, across
restarts. Binance accepts `^[a-zA-Z0-9-_]{1,36}$` on spot; we use 27 characters."""

import hashlib

CLIENT_ID_PREFIX = "tt-"


def client_order_id(intent_id: str) -> str:
    digest = hashlib.blake2b(intent_id.encode("utf-8"), digest_size=12).hexdigest()
    return f"{CLIENT_ID_PREFIX}{digest}"


class IdempotencyGuard:
    """Remembers every client order id ever journaled (loaded from the journal at start)."""

    def __init__(self, known: set[str] | None = None) -> None:
        self._known: set[str] = set(known or ())

    def seen(self, coid: str) -> bool:
        return coid in self._known

    def remember(self, coid: str) -> None:
        self._known.add(coid)

    def __len__(self) -> int:
        return len(self._known)
