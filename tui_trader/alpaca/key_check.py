"""The Alpaca key check before live trading: the account behind the key must be able to
trade, and the operator must see which account that is (paper or live).

What there is to check, and what there is not: an Alpaca API key pair cannot withdraw
or transfer money at all (the Trading API has no withdrawal endpoint; funding moves only
through Alpaca's dashboard or the Broker API, which these keys do not reach), so unlike
Binance and Upbit there is no withdrawal permission to refuse. What can stop trading is
the account: its `status` must be ACTIVE, and neither `trading_blocked`,
`account_blocked` nor `trade_suspended_by_user` may be set. Paper or live is not a
property of the key but of the URL it is sent to (paper-api.alpaca.markets or
api.alpaca.markets; paper keys are refused by the live URL and the other way round):
`describe()` says which, with the day-trade standing that order_rules.py enforces."""

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from tui_trader.alpaca.trading_api import AlpacaRefused, AlpacaTrading
from tui_trader.execution.broker import BrokerError
from tui_trader.text_safety import printable


class KeyPermissionError(Exception):
    """The key or its account must not be used; the message explains why."""


class KeyUncheckable(KeyPermissionError):
    """Alpaca gave no answer about the key (no reply, a 5xx): live start refuses it all
    the same, but `doctor` tells this apart from an answer against the key."""


@dataclass(frozen=True, slots=True)
class AlpacaKeyCheck:
    mode: str  # paper, live, or other (the URL)
    account_number: str
    equity: Decimal
    margin: bool
    pattern_day_trader: bool
    daytrade_count: int

    def describe(self) -> str:
        kind = "margin" if self.margin else "cash"
        pdt = ", flagged pattern day trader" if self.pattern_day_trader else ""
        return (
            f"{self.mode} account {self.account_number} ({kind}, equity {self.equity} USD, "
            f"{self.daytrade_count} day trade(s) in 5 days{pdt}); Alpaca keys cannot withdraw"
        )


async def check_key(api: AlpacaTrading) -> AlpacaKeyCheck:
    """Raise KeyPermissionError unless the account behind the key may trade."""
    try:
        account = await api.account()
    except AlpacaRefused as exc:  # an answer, and it is against the key
        raise KeyPermissionError(
            f"Alpaca refused the API key at {api.mode} ({exc}): store the right pair with "
            "`tui-trader keys set alpaca` (paper keys work only on the paper URL)"
        ) from None
    except BrokerError as exc:
        raise KeyUncheckable(
            f"cannot check the Alpaca API key ({exc}); live trading refused"
        ) from None
    return _judge(account, api.mode)


def _judge(account: Any, mode: str) -> AlpacaKeyCheck:
    status = str(getattr(account.status, "value", account.status))
    blocks = [
        name
        for name in ("trading_blocked", "account_blocked", "trade_suspended_by_user")
        if getattr(account, name, False)
    ]
    if status != "ACTIVE" or blocks:
        why = f"status {printable(status, 40)}" + "".join(f", {b}" for b in blocks)
        raise KeyPermissionError(
            f"live trading refused: the Alpaca {mode} account cannot trade ({why}); "
            "see Alpaca's dashboard"
        )
    try:
        return AlpacaKeyCheck(
            mode,
            printable(str(account.account_number), 40),
            Decimal(str(account.equity or 0)),
            Decimal(str(account.multiplier or 1)) > 1,
            bool(account.pattern_day_trader),
            int(account.daytrade_count or 0),
        )
    except (InvalidOperation, ValueError, TypeError) as exc:
        raise KeyPermissionError(f"unreadable Alpaca account ({exc!r})") from None
