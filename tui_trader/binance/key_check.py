"""The API key check at live start: refuse a key that can withdraw (a leaked trading
key must never be able to empty the account), unless the operator overrides it.

Mainnet says what the key may do in GET /sapi/v1/account/apiRestrictions. Testnet and
demo have no /sapi: there the account's own flags (spot GET /api/v3/account, USD-M
GET /fapi/v2/account: canWithdraw, canTrade) are the best answer available."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tui_trader.binance.client import BinanceEnv
from tui_trader.binance.errors import classify
from tui_trader.domain.enums import MarketKind

OVERRIDE = "ALLOW_WITHDRAW_KEYS=true"


class KeyPermissionError(Exception):
    """The key must not be used; the message explains why and what to do."""


@dataclass(frozen=True, slots=True)
class KeyPermissions:
    can_withdraw: bool
    can_trade: bool
    ip_restricted: bool | None  # None: the source does not say
    source: str

    def describe(self) -> str:
        ip = {True: "IP-restricted", False: "no IP restriction", None: "IP restriction unknown"}
        return (
            f"withdrawals {'ENABLED' if self.can_withdraw else 'disabled'}, "
            f"trading {'enabled' if self.can_trade else 'disabled'}, "
            f"{ip[self.ip_restricted]}, per {self.source}"
        )


def _flag(reply: Mapping[str, Any], name: str) -> bool:
    value = reply.get(name)
    if not isinstance(value, bool):
        raise KeyPermissionError(f"Binance's key permissions reply has no usable {name!r}")
    return value


def from_restrictions(reply: Mapping[str, Any], market: MarketKind) -> KeyPermissions:
    """GET /sapi/v1/account/apiRestrictions."""
    trade = "enableFutures" if market is MarketKind.FUTURES else "enableSpotAndMarginTrading"
    return KeyPermissions(
        can_withdraw=_flag(reply, "enableWithdrawals"),
        can_trade=_flag(reply, trade),
        ip_restricted=_flag(reply, "ipRestrict"),
        source="apiRestrictions",
    )


def from_account(reply: Mapping[str, Any]) -> KeyPermissions:
    """GET /api/v3/account or /fapi/v2/account (testnet, demo)."""
    return KeyPermissions(
        can_withdraw=_flag(reply, "canWithdraw"),
        can_trade=_flag(reply, "canTrade"),
        ip_restricted=None,
        source="account",
    )


def refusal(permissions: KeyPermissions, allow_withdraw: bool) -> str:
    """Why the key must not be used ("" if it may)."""
    if not permissions.can_trade:
        return (
            f"this API key cannot trade ({permissions.describe()}): enable trading for it "
            "in Binance's API management, or store a key that can"
        )
    if permissions.can_withdraw and not allow_withdraw:
        return (
            f"this API key can WITHDRAW funds ({permissions.describe()}). A trading bot "
            "never needs that, and a leaked key with it can empty the account. Create a key "
            "with withdrawals disabled (and an IP restriction), store it with "
            f"`tui-trader keys set`, or, if you accept the risk, set {OVERRIDE}"
        )
    return ""


async def check_key(
    client: Any, env: BinanceEnv, market: MarketKind, *, allow_withdraw: bool
) -> KeyPermissions:
    """Read the key's permissions and raise KeyPermissionError if it must not be used
    (or if they cannot be read: an unknown key is not a safe key)."""
    try:
        if env == "mainnet":
            reply = await client.get_account_api_permissions()
            permissions = from_restrictions(reply, market)
        elif market is MarketKind.FUTURES:
            permissions = from_account(await client.futures_account())
        else:
            permissions = from_account(await client.get_account())
    except KeyPermissionError:
        raise
    except Exception as exc:
        raise KeyPermissionError(
            f"cannot read the API key's permissions ({classify(exc).describe()}); "
            "live trading refused"
        ) from None
    reason = refusal(permissions, allow_withdraw)
    if reason:
        raise KeyPermissionError(f"live trading refused: {reason}")
    return permissions
