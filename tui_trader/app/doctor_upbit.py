"""Doctor's online checks on VENUE=upbit: Upbit reachable with the symbols listed and our
clock near its `Date` header, and the live key as the live start would judge it, said
here instead of refused there. A key that can see withdrawals fails even with
ALLOW_WITHDRAW_KEYS=true, as a Binance key that can withdraw does: the override lets a
run start, it does not make the key safe."""

import asyncio

from tui_trader.app.doctor_checks import CheckResult, DoctorContext
from tui_trader.secrets import ExchangeKeys

KEY_TIMEOUT_S = 15.0  # both key calls together, retries of a 5xx included


async def upbit_clock_check(ctx: DoctorContext, timeout_s: float) -> CheckResult:
    from tui_trader.upbit.probe import ProbeFailed, reach_upbit

    settings = ctx.settings
    try:
        reach = await reach_upbit(settings.upbit_api_url, settings.symbols, timeout_s)
    except ProbeFailed as exc:
        return CheckResult("clock", "FAIL", str(exc))
    return CheckResult("clock", "OK" if reach.ok else "FAIL", reach.describe())


async def upbit_key_check(ctx: DoctorContext, keys: ExchangeKeys) -> CheckResult:
    from tui_trader.upbit.exchange import UpbitExchange
    from tui_trader.upbit.key_check import (
        ORDER_RIGHTS,
        KeyPermissionError,
        KeyUncheckable,
        check_key,
    )

    exchange = UpbitExchange(keys, ctx.settings.upbit_api_url, timeout_s=5.0, pause_s=0.5)
    await exchange.start()
    try:
        async with asyncio.timeout(KEY_TIMEOUT_S):
            check = await check_key(exchange, keys.api_key, ctx.now, allow_withdraw=True)
    except KeyUncheckable as exc:  # no answer: a warning, as on Binance
        return CheckResult("api key", "WARN", str(exc))
    except TimeoutError:
        why = f"cannot check the Upbit API key: no answer within {KEY_TIMEOUT_S:g} s"
        return CheckResult("api key", "WARN", why)
    except KeyPermissionError as exc:  # expired, not the account's, refused by Upbit
        return CheckResult("api key", "FAIL", str(exc))
    finally:
        await exchange.close()
    if check.sees_withdrawals:
        return CheckResult(
            "api key",
            "FAIL",
            f"the Upbit API key has withdrawal permissions ({check.describe()}): issue one "
            f"with only {ORDER_RIGHTS} and store it with `tui-trader keys set upbit`",
        )
    return CheckResult("api key", "OK", check.describe())
