"""The EMA-cross benchmark in backtesting.py, backtrader or NautilusTrader (run by
bench_backtest.py with the separate environment's python; none is a project dependency).

    ~/.cache/tui-trader/bench-env/bin/python bench_backtest_external.py \
        {backtesting|backtrader|nautilus} FILE.csv

Same rules as ours: EMA 9/21 on closes, buy 5 % of equity on a cross up (filled at the
next bar's open), close the position on a cross down, 0.1 % commission, no slippage.
NautilusTrader buys a fixed 0.1 BTC instead (its orders take a quantity) and fills on its
own bar model; its fee is the test instrument's. Prints one JSON line: framework, bars,
trades, load_s (CSV → DataFrame, and Nautilus's Bar objects), run_s."""

import json
import sys
import time
import warnings
from typing import Any

import pandas as pd

FAST, SLOW, SHARE, FEE = 9, 21, 0.05, 0.001
CASH = 100_000_000  # backtesting.py trades whole units: enough cash for 5 % to buy some


def load(path: str) -> pd.DataFrame:
    names = ["t", "Open", "High", "Low", "Close", "Volume", "ct", "q", "n", "tb", "tq", "x"]
    frame = pd.read_csv(path, header=None, names=names, usecols=range(6))
    frame.index = pd.to_datetime(frame.pop("t"), unit="ms", utc=True).dt.tz_localize(None)
    return frame


def run_backtesting(frame: pd.DataFrame) -> int:
    from backtesting import Backtest, Strategy
    from backtesting.lib import crossover

    def ema(values: pd.Series, span: int) -> pd.Series:
        return pd.Series(values).ewm(span=span, adjust=False).mean()

    class EmaCross(Strategy):  # type: ignore[misc]
        def init(self) -> None:
            self.fast = self.I(ema, self.data.Close, FAST)
            self.slow = self.I(ema, self.data.Close, SLOW)

        def next(self) -> None:
            if crossover(self.fast, self.slow) and not self.position:
                self.buy(size=SHARE)
            elif crossover(self.slow, self.fast) and self.position:
                self.position.close()

    stats = Backtest(frame, EmaCross, cash=CASH, commission=FEE).run()
    return int(stats["# Trades"])


def run_backtrader(frame: pd.DataFrame) -> int:
    import backtrader as bt

    class EmaCross(bt.Strategy):  # type: ignore[misc]
        def __init__(self) -> None:
            self.cross = bt.ind.CrossOver(bt.ind.EMA(period=FAST), bt.ind.EMA(period=SLOW))
            self.trades = 0

        def next(self) -> None:
            if self.cross[0] > 0 and not self.position:
                self.buy(size=self.broker.getvalue() * SHARE / self.data.close[0])
            elif self.cross[0] < 0 and self.position:
                self.close()
                self.trades += 1

    cerebro = bt.Cerebro(stdstats=False)  # no plotting observers: faster for them
    cerebro.adddata(bt.feeds.PandasData(dataname=frame))
    cerebro.addstrategy(EmaCross)
    cerebro.broker.setcash(CASH)
    cerebro.broker.setcommission(commission=FEE)
    (strategy,) = cerebro.run()
    return int(strategy.trades)


def nautilus_engine(frame: pd.DataFrame) -> Any:
    """A BacktestEngine with the bars loaded and an EMA-cross strategy added."""
    from nautilus_trader.backtest.engine import BacktestEngine, BacktestEngineConfig
    from nautilus_trader.config import LoggingConfig, StrategyConfig
    from nautilus_trader.indicators import ExponentialMovingAverage
    from nautilus_trader.model.currencies import BTC, USDT
    from nautilus_trader.model.data import Bar, BarType
    from nautilus_trader.model.enums import AccountType, OmsType, OrderSide
    from nautilus_trader.model.identifiers import Venue
    from nautilus_trader.model.objects import Money
    from nautilus_trader.persistence.wranglers import BarDataWrangler
    from nautilus_trader.test_kit.providers import TestInstrumentProvider
    from nautilus_trader.trading.strategy import Strategy as NautilusStrategy

    instrument = TestInstrumentProvider.btcusdt_binance()
    bar_type = BarType.from_str(f"{instrument.id}-1-MINUTE-LAST-EXTERNAL")

    class EmaCross(NautilusStrategy):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__(StrategyConfig())
            self.fast, self.slow = ExponentialMovingAverage(FAST), ExponentialMovingAverage(SLOW)
            self.above: bool | None = None

        def on_start(self) -> None:
            self.register_indicator_for_bars(bar_type, self.fast)
            self.register_indicator_for_bars(bar_type, self.slow)
            self.subscribe_bars(bar_type)

        def on_bar(self, bar: Bar) -> None:
            if not (self.fast.initialized and self.slow.initialized):
                return
            above, was = self.fast.value > self.slow.value, self.above
            self.above = above
            if was is None or above == was:
                return
            if above and self.portfolio.is_flat(instrument.id):
                quantity = instrument.make_qty(0.1)
                self.submit_order(self.order_factory.market(instrument.id, OrderSide.BUY, quantity))
            elif not above and self.portfolio.is_net_long(instrument.id):
                self.close_all_positions(instrument.id)

    wrangled = frame.rename(columns=str.lower)
    wrangled.index = wrangled.index.tz_localize("UTC")
    bars = BarDataWrangler(bar_type, instrument).process(wrangled)
    engine = BacktestEngine(BacktestEngineConfig(logging=LoggingConfig(log_level="ERROR")))
    balances = [Money(CASH, USDT), Money(0, BTC)]
    engine.add_venue(Venue("BINANCE"), oms_type=OmsType.NETTING, account_type=AccountType.CASH,
                     base_currency=None, starting_balances=balances)  # fmt: skip
    engine.add_instrument(instrument)
    engine.add_data(bars)
    engine.add_strategy(EmaCross())
    return engine


def run_nautilus(engine: Any) -> int:
    from nautilus_trader.model.enums import OrderSide

    engine.run()  # one netting position reopens on each buy: count the closing sells
    return sum(order.side == OrderSide.SELL for order in engine.cache.orders_closed())


def main() -> None:
    framework, path = sys.argv[1], sys.argv[2]
    warnings.simplefilter("ignore")
    began = time.perf_counter()
    frame = load(path)
    subject: Any = nautilus_engine(frame) if framework == "nautilus" else frame
    loaded = time.perf_counter()
    runs = {"backtesting": run_backtesting, "backtrader": run_backtrader, "nautilus": run_nautilus}
    trades = runs[framework](subject)
    done = time.perf_counter()
    print(json.dumps({"framework": framework, "bars": len(frame), "trades": trades,
                      "load_s": loaded - began, "run_s": done - loaded}))  # fmt: skip


if __name__ == "__main__":
    main()
