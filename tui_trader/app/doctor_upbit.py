"""Doctor's online checks on VENUE=upbit: Upbit reachable with the symbols listed and our
clock near its `Date` header."""

from tui_trader.app.doctor_checks import CheckResult, DoctorContext


async def upbit_clock_check(ctx: DoctorContext, timeout_s: float) -> CheckResult:
    from tui_trader.upbit.probe import ProbeFailed, reach_upbit

    settings = ctx.settings
    try:
        reach = await reach_upbit(settings.upbit_api_url, settings.symbols, timeout_s)
    except ProbeFailed as exc:
        return CheckResult("clock", "FAIL", str(exc))
    return CheckResult("clock", "OK" if reach.ok else "FAIL", reach.describe())
