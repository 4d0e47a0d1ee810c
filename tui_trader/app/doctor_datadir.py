"""The data dir check behind `tui-trader doctor`: owner-only modes (invariant 11) and
whether a trader holds the data dir now. Read-only: it reports, the trader fixes."""

from tui_trader.app.datadir import holder_pid, in_use, loose_entries
from tui_trader.app.doctor_checks import CheckResult, DoctorContext

SHOWN = 3


async def datadir_check(ctx: DoctorContext) -> CheckResult:
    data = ctx.settings.data_path
    if not data.is_dir():
        return CheckResult("data dir", "OK", f"no data dir yet at {data}")
    holder = f"; in use by pid {holder_pid(data) or '?'}" if in_use(data) else ""
    loose = loose_entries(data)
    if not loose:
        return CheckResult("data dir", "OK", f"{data} owner-only (0700/0600){holder}")
    shown = ", ".join(f"{path} {mode:04o}" for path, mode in loose[:SHOWN])
    more = f" (+{len(loose) - SHOWN} more)" if len(loose) > SHOWN else ""
    return CheckResult(
        "data dir",
        "WARN",
        f"readable by others: {shown}{more}; the next start makes them owner-only{holder}",
    )
