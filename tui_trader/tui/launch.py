"""`tui-trader` / `tui-trader run`: build the trader, run the app, return its exit status."""

import argparse
import gc
from typing import TYPE_CHECKING

from tui_trader.app.program_settings import ProgramSettings
from tui_trader.tui.app import create_app

if TYPE_CHECKING:
    from tui_trader.runtime.exchange_link import ExchangeSetup


def run_app(program: ProgramSettings, args: argparse.Namespace) -> int:
    settings = program.core
    from tui_trader.app.datadir import report_fixes
    from tui_trader.app.log_files import configure_logging
    from tui_trader.runtime.build_trader import build_trader

    # The full log goes to the data dir file.
    configure_logging(settings, program.ops.log_format, console=False)
    report_fixes()

    replay = getattr(args, "replay", None)
    demo = getattr(args, "demo", False) or replay is not None
    trader = build_trader(
        settings,
        replay=replay,
        symbol=getattr(args, "symbol", None),
        binance=None if demo else _exchange_setup(),
        new_account=getattr(args, "new_account", False),
        llm=program.llm,
        ops=program.ops,
    )
    app = create_app(settings, trader, theme=getattr(args, "theme", None))
    # What exists now (modules, classes, the trader) lives as long as the process. A
    # full collection walked all of it, ~100 ms under a busy market, and key presses
    # waited; frozen, it is left out and a full collection takes milliseconds.
    gc.freeze()
    app.run()
    for error in (app.open_error, app.close_error):
        if error is not None:  # raised here, once the terminal is restored: one line
            raise error
    return app.return_code or 0


def _exchange_setup() -> "ExchangeSetup":
    # Imported only when Binance is used: python-binance is slow to import.
    from tui_trader.runtime.exchange_link import ExchangeSetup

    return ExchangeSetup()
