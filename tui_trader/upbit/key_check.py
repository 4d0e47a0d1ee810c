"""The Upbit key check before live trading: the key must be the account's, unexpired,
and must not be able to touch withdrawals.

What Upbit lets us know: GET /v1/api_keys lists the account's access keys and when each
expires, nothing about what a key may do. Withdrawal rights come as two permissions,
"view withdrawals" and "make withdrawals"; only the first can be probed without moving
money: GET /v1/withdraws/chance answers a key that has it and refuses one that does not
(`out_of_scope`). So a key that can see withdrawals is refused (a trading bot needs
neither), and what cannot be seen is said: a key given "make withdrawals" alone would
pass this check. Keys issued since 2026-07-09 with withdrawal rights are also locked
for withdrawals until unlocked in Upbit's app (Upbit's "withdrawal safety lock")."""

from dataclasses import dataclass
from datetime import datetime

from tui_trader.execution.broker import BrokerError
from tui_trader.upbit.exchange import UpbitExchange, UpbitRefused

OVERRIDE = "ALLOW_WITHDRAW_KEYS=true"
ORDER_RIGHTS = "asset view, order view and order placement"


class KeyPermissionError(Exception):
    """The key must not be used; the message explains why and what to do."""


class KeyUncheckable(KeyPermissionError):
    """Upbit gave no answer about the key (no reply, a 5xx): live start refuses it all
    the same, but `doctor` tells this apart from an answer against the key."""


@dataclass(frozen=True, slots=True)
class UpbitKeyCheck:
    expires: datetime
    sees_withdrawals: bool

    def describe(self) -> str:
        seen = "can see withdrawals" if self.sees_withdrawals else "cannot see withdrawals"
        return f"expires {self.expires:%Y-%m-%d}, {seen} (Upbit does not say more)"


async def check_key(
    exchange: UpbitExchange, access_key: str, now: datetime, *, allow_withdraw: bool
) -> UpbitKeyCheck:
    """Raise KeyPermissionError unless the key may be used (an unknown key is not safe)."""
    try:
        expires = _expiry(await exchange.api_keys(), access_key)
        sees = await _sees_withdrawals(exchange)
    except UpbitRefused as exc:  # an answer, and it is against the key
        raise KeyPermissionError(
            f"cannot check the Upbit API key ({exc}); live trading refused"
        ) from None
    except BrokerError as exc:
        raise KeyUncheckable(
            f"cannot check the Upbit API key ({exc}); live trading refused"
        ) from None
    if expires <= now:
        raise KeyPermissionError(
            f"the Upbit API key expired on {expires:%Y-%m-%d}: issue a new one and store it "
            "with `tui-trader keys set upbit`"
        )
    check = UpbitKeyCheck(expires, sees)
    if sees and not allow_withdraw:
        raise KeyPermissionError(
            f"live trading refused: this Upbit API key has withdrawal permissions "
            f"({check.describe()}). A trading bot needs only {ORDER_RIGHTS}; a leaked key "
            "with withdrawal rights can empty the account. Issue a key with only those, "
            f"store it with `tui-trader keys set upbit`, or, if you accept the risk, set {OVERRIDE}"
        )
    return check


def _expiry(keys: object, access_key: str) -> datetime:
    if not isinstance(keys, list):
        raise KeyPermissionError(f"unreadable Upbit key list: {str(keys)[:80]}")
    for row in keys:
        if isinstance(row, dict) and row.get("access_key") == access_key:
            try:
                expires = datetime.fromisoformat(str(row["expire_at"]))
            except (KeyError, ValueError):
                raise KeyPermissionError("unreadable expiry in Upbit's key list") from None
            if expires.tzinfo is None:
                raise KeyPermissionError("Upbit's key expiry has no time zone")
            return expires
    raise KeyPermissionError("Upbit does not list this access key for the account")


async def _sees_withdrawals(exchange: UpbitExchange) -> bool:
    try:
        await exchange.withdraw_chance("BTC")
    except UpbitRefused as exc:
        if exc.name == "out_of_scope":
            return False
        raise
    return True
