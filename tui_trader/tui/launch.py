"""`tui-trader` / `tui-trader run`: build the trader, run the app, return its exit status."""

import argparse
import gc
from typing import TYPE_CHECKING

from tui_trader.config import Settings
from tui_trader.tui.app import create_app

if TYPE_CHECKING:
    from tui_trader.exchange_link import ExchangeSetup


def run_app(settings: Settings, args: argparse.Namespace) -> int:
    from tui_trader.datadir import report_fixes
    from tui_trader.logs import configure_logging
    from tui_trader.wiring import build_trader

    configure_logging(settings, console=False)  # the full log goes to the data dir file
    report_fixes()

    replay = getattr(args, "replay", None)
    demo = getattr(args, "demo", False) or replay is not None
    trader = build_trader(
        settings,
        replay=replay,
        symbol=getattr(args, "symbol", None),
        binance=None if demo else _exchange_setup(),
        new_account=getattr(args, "new_account", False),
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
    from tui_trader.exchange_link import ExchangeSetup

    return ExchangeSetup()
