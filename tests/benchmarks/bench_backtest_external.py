"""The EMA-cross benchmark in backtesting.py or backtrader (run by bench_backtest.py with
the separate environment's python; neither library is a project dependency).

    ~/.cache/tui-trader/bench-env/bin/python bench_backtest_external.py \
        {backtesting|backtrader} FILE.csv

Same rules as ours: EMA 9/21 on closes, buy 5 % of equity on a cross up (filled at the
next bar's open), close the position on a cross down, 0.1 % commission, no slippage.
Prints one JSON line: framework, bars, trades, load_s (CSV → DataFrame), run_s."""

import json
import sys
import time
import warnings

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


def main() -> None:
    framework, path = sys.argv[1], sys.argv[2]
    warnings.simplefilter("ignore")
    began = time.perf_counter()
    frame = load(path)
    loaded = time.perf_counter()
    trades = {"backtesting": run_backtesting, "backtrader": run_backtrader}[framework](frame)
    done = time.perf_counter()
    print(json.dumps({"framework": framework, "bars": len(frame), "trades": trades,
                      "load_s": loaded - began, "run_s": done - loaded}))  # fmt: skip


if __name__ == "__main__":
    main()
