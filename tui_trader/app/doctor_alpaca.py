"""Doctor's live key check on VENUE=alpaca: the account behind the keyring's Alpaca key,
judged as the live start judges it (alpaca/key_check.py) and said here instead of
refused there: a refused key or an account that cannot trade is a FAIL, no answer a
WARN, as on Binance and Upbit. Alpaca keys cannot withdraw: there is no permission to
refuse, and the OK line says so along with the account (paper or live, by the URL)."""

import asyncio

from tui_trader.app.doctor_checks import CheckResult, DoctorContext
from tui_trader.secrets import ExchangeKeys

KEY_TIMEOUT_S = 15.0  # the account read, its retries of a 5xx included


async def alpaca_key_check(ctx: DoctorContext, keys: ExchangeKeys) -> CheckResult:
    from tui_trader.alpaca.key_check import KeyPermissionError, KeyUncheckable, check_key
    from tui_trader.alpaca.trading_api import AlpacaTrading

    api = AlpacaTrading(keys, ctx.settings.alpaca_trading_url, timeout_s=5.0, pause_s=0.5)
    await api.start()
    try:
        async with asyncio.timeout(KEY_TIMEOUT_S):
            check = await check_key(api)
    except KeyUncheckable as exc:  # no answer: a warning
        return CheckResult("api key", "WARN", str(exc))
    except TimeoutError:
        why = f"cannot check the Alpaca API key: no answer within {KEY_TIMEOUT_S:g} s"
        return CheckResult("api key", "WARN", why)
    except KeyPermissionError as exc:  # refused, or an account that cannot trade
        return CheckResult("api key", "FAIL", str(exc))
    finally:
        await api.close()
    return CheckResult("api key", "OK", check.describe())
