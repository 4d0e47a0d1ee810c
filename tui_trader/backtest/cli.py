"""`tui-trader backtest ...` and `tui-trader data download ...`: argument handling.

Exit status: 0 done; 2 for anything wrong with the input (an option, a setting, a strategy
parameter, the candle file: the message names the option, parameter or file line; --fast
without the `fast` extra); 1 when the work itself failed (the exchange unreachable, the
output not writable, --verify finding the fast path differing from the exact path)."""

import argparse
import asyncio
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from rich.console import Console

from tui_trader.backtest.choice import FastUnavailable, VerifyFailed, fast_grid, run_chosen
from tui_trader.backtest.confirm import confirm_top
from tui_trader.backtest.executors import ExecutorError
from tui_trader.backtest.grid import RANKINGS, combinations, parse_grid, run_grid
from tui_trader.backtest.optimize import OptimizeError
from tui_trader.backtest.progress import bar, count_lines
from tui_trader.backtest.research_cli import (
    BestSoFar,
    Watched,
    add_research_options,
    check_research_options,
    monte_carlo,
    optimize,
    sweep_executor,
    walk_forward,
)
from tui_trader.backtest.results import BacktestSpec
from tui_trader.backtest.walk_forward import WalkForwardError
from tui_trader.config import ConfigError, Settings, load_settings, with_strategy_params
from tui_trader.market.feed import FeedError
from tui_trader.strategies.base import StrategyParamError
from tui_trader.strategies.registry import available_strategies

if TYPE_CHECKING:  # the Binance client (aiohttp: a quarter second) loads for `data` only
    from types import ModuleType

    from tui_trader.backtest.confirm import Confirmation
    from tui_trader.backtest.download import DownloadRequest, DownloadResult, Progress
    from tui_trader.backtest.download_alpaca import AlpacaKeys
    from tui_trader.backtest.research_report import Research
    from tui_trader.binance.client import Endpoints

EXIT_FAILED = 1
EXIT_USAGE = 2


def parse_when(text: str) -> datetime:
    """A date or an ISO-8601 time; naive means UTC."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a date or ISO-8601 time, e.g. 2024-01-31 or 2024-01-31T12:00"
        ) from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class _Parser(argparse.ArgumentParser):
    """Usage errors return status 2 to the caller instead of leaving the process."""

    def error(self, message: str) -> Any:
        self.print_usage(sys.stderr)
        raise _UsageError(message)


class _UsageError(Exception):
    pass


def _parse(parser: argparse.ArgumentParser, argv: Sequence[str]) -> argparse.Namespace | int:
    """The parsed arguments, or the exit status when --help (or --version) answered."""
    try:
        return parser.parse_args(list(argv))
    except SystemExit as done:
        return done.code if isinstance(done.code, int) else 0


def backtest_parser() -> argparse.ArgumentParser:
    ap = _Parser(prog="tui-trader backtest", description="Replay candles through the live "
                 "strategy → risk → paper broker code and report the results.")  # fmt: skip
    ap.add_argument("--strategy", required=True,
                    help=f"strategy name: {', '.join(available_strategies())}")  # fmt: skip
    ap.add_argument("--data", required=True, type=Path, metavar="FILE.csv", help="candle file")
    ap.add_argument("--symbol", help="symbol of the file (default: first of SYMBOLS)")
    ap.add_argument("--interval", help="candle interval of the file (default: CANDLE_INTERVAL)")
    ap.add_argument("--from", dest="start", type=parse_when, help="first candle (open time)")
    ap.add_argument("--to", dest="end", type=parse_when, help="end, excluded (open time)")
    ap.add_argument("--fee", help="fee rate per fill, e.g. 0.001 (default: FEE_RATE)")
    ap.add_argument("--slippage", help="market order slippage in bps (default: SLIPPAGE_BPS)")
    ap.add_argument("--market-orders", action="store_true",
                    help="MARKET orders filled at the next open ± slippage (default: "
                    "ALLOW_MARKET_ORDERS; else LIMIT orders filled on trade-through)")  # fmt: skip
    ap.add_argument("--param", action="append", default=[], metavar="KEY=VALUE",
                    help="strategy parameter over NAME.toml from <data dir>/strategies or "
                    "./strategies (STRATEGY_PARAMS is not used); repeatable")  # fmt: skip
    ap.add_argument("--grid", action="append", default=[], metavar="KEY=V1,V2,...",
                    help="search these values (repeatable); runs on every CPU")  # fmt: skip
    ap.add_argument("--rank-by", choices=sorted(RANKINGS), default="sharpe")
    ap.add_argument("--workers", type=int, help="grid search processes (default: CPUs)")
    ap.add_argument("--output", choices=("table", "json", "csv"), default="table")
    ap.add_argument("--file", type=Path, metavar="OUT", help="write the output here")
    ap.add_argument("--no-progress", action="store_true", help="no progress bar")
    add_research_options(ap)
    ap.add_argument("--fast", action="store_true",
                    help="the compiled fast path where it applies (ema_cross, rsi, macd, "
                    "bollinger; spot; fixed sizing), else the exact path, "
                    "saying why; needs pip install 'tui-trader[fast]'")  # fmt: skip
    ap.add_argument(
        "--verify",
        action="store_true",
        help="--fast, and the exact path alongside: exit 1 on any difference",
    )
    ap.add_argument(
        "--no-cache",
        action="store_true",
        help="read the CSV without its column "
        "cache (default: cached in <data dir>/cache/columns by the file's content)",
    )
    return ap


def backtest_settings(args: argparse.Namespace) -> Settings:
    """Settings with the command line's overrides, and the strategy's parameters from
    <data dir>/strategies/NAME.toml or ./strategies/NAME.toml plus --param."""
    overrides: dict[str, Any] = {"strategy": args.strategy}
    for option, name in (("symbol", "symbols"), ("interval", "candle_interval"),
                         ("fee", "fee_rate"), ("slippage", "slippage_bps")):  # fmt: skip
        if getattr(args, option) is not None:
            overrides[name] = getattr(args, option)
    if args.market_orders:
        overrides["allow_market_orders"] = True
    return with_strategy_params(load_settings(**overrides), args.param)


def run_backtest_command(argv: Sequence[str]) -> int:
    try:
        args = _parse(backtest_parser(), argv)
        if isinstance(args, int):
            return args
        settings = backtest_settings(args)
        if args.start and args.end and args.start >= args.end:
            raise _UsageError("--from must be before --to")
        if problem := check_research_options(args):
            raise _UsageError(problem)
        if args.grid and args.verify:
            raise _UsageError("--verify checks a single run; a grid takes --fast")
        cache = None if args.no_cache else settings.data_path / "cache" / "columns"
        spec = BacktestSpec(args.data, settings.symbols[0], args.start, args.end, cache)
        if args.optimize is not None:
            return _research(args, optimize(args, settings, spec))
        if args.walk_forward:
            return _research(args, walk_forward(args, settings, spec))
        if args.grid:
            return _grid(args, settings, spec)
        if args.monte_carlo is not None:
            return _research(args, monte_carlo(args, settings, spec))
        return _single(args, settings, spec)
    except (
        _UsageError, ConfigError, StrategyParamError, FeedError, ExecutorError, WalkForwardError,
        OptimizeError, FastUnavailable,
    ) as exc:  # fmt: skip
        print(f"tui-trader backtest: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except VerifyFailed as exc:
        print(f"tui-trader backtest: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except OSError as exc:
        print(f"tui-trader backtest: cannot write the output: {exc}", file=sys.stderr)
        return EXIT_FAILED


def _single(args: argparse.Namespace, settings: Settings, spec: BacktestSpec) -> int:
    from tui_trader.backtest.export import result_dict, to_json, trades_csv
    from tui_trader.backtest.metrics import compute_metrics
    from tui_trader.backtest.report import render_report

    total = None if spec.start or spec.end else count_lines(spec.data)
    with bar(not args.no_progress, "backtest", total) as advance:
        result = run_chosen(settings, spec, fast=args.fast, verify=args.verify, progress=advance)
    metrics = compute_metrics(result)
    with _output(args.file) as out:
        if args.output == "json":
            out.write(to_json(result_dict(result, metrics)))
        elif args.output == "csv":
            out.write(trades_csv(result))
        else:
            render_report(result, metrics, _console(out, args.file))
    return 0


def _grid(args: argparse.Namespace, settings: Settings, spec: BacktestSpec) -> int:
    from tui_trader.backtest.grid_report import grid_csv, grid_json, render_grid

    grid = parse_grid(args.grid)
    base = dict(settings.strategy_params)
    valid, _ = combinations(settings.strategy, base, grid)
    fast = args.fast and fast_grid(settings, spec)
    with (
        sweep_executor(args, len(valid)) as executor,
        bar(not args.no_progress, f"grid search ({executor.where})", len(valid)) as advance,
    ):
        watched = Watched(executor, advance, BestSoFar(args.rank_by, list(grid)))
        result = run_grid(settings, spec, base, grid, args.rank_by, progress=advance,
                          executor=watched, fast=fast)  # fmt: skip
        checked = None
        if fast and args.confirm:
            getter = RANKINGS[args.rank_by][0]
            ranked = [(row.params, getter(row.metrics)) for row in result.rows]
            checked = confirm_top(settings, spec, base, ranked, args.rank_by, executor,
                                  args.confirm)  # fmt: skip
    with _output(args.file) as out:
        if args.output == "json":
            out.write(grid_json(result))
        elif args.output == "csv":
            out.write(grid_csv(result))
        else:
            render_grid(result, _console(out, args.file))
    if args.output != "table":
        print(result.warning, file=sys.stderr)
    return _confirmed(checked, args.output == "table")


def _confirmed(checked: "Confirmation | None", table: bool) -> int:
    """Say what the exact engine found; a disagreement is a failure of the fast path."""
    if checked is None:
        return 0
    for line in checked.lines():
        print(line, file=sys.stdout if table and not checked.differs else sys.stderr)
    return EXIT_FAILED if checked.differs else 0


def _research(args: argparse.Namespace, result: "Research") -> int:
    from tui_trader.backtest.optimize import OptimizeResult
    from tui_trader.backtest.research_report import render_research, research_json

    with _output(args.file) as out:
        if args.output == "json":
            out.write(research_json(result))
        else:
            render_research(result, _console(out, args.file))
    checked = result.confirmation if isinstance(result, OptimizeResult) else None
    return _confirmed(checked, args.output == "table")


@contextmanager
def _output(path: Path | None) -> Iterator[TextIO]:
    if path is None:
        yield sys.stdout
        return
    with path.open("w", encoding="utf-8", newline="") as handle:
        yield handle


def _console(out: TextIO, path: Path | None) -> Console:
    # A file gets plain text at a fixed width; a terminal gets colour at its own width.
    return Console(file=out, width=120, no_color=True) if path else Console(file=out)


def data_parser() -> argparse.ArgumentParser:
    ap = _Parser(prog="tui-trader data", description="Market data for backtests.")
    commands = ap.add_subparsers(dest="command", required=True, parser_class=_Parser)
    down = commands.add_parser("download", help="fetch Binance klines into the local cache")
    down.add_argument("symbol", type=str.upper, help="e.g. BTCUSDT")
    down.add_argument("interval", help="e.g. 1m, 15m, 1h, 1d")
    down.add_argument("--from", dest="start", type=parse_when, required=True)
    down.add_argument("--to", dest="end", type=parse_when, required=True, help="excluded")
    down.add_argument("--dir", type=Path, help="cache folder (default: <data dir>/klines)")
    down.add_argument("--venue", choices=("binance", "upbit", "alpaca"), default="binance",
                      help="whose candles (upbit: SYMBOL as BTCKRW for KRW-BTC; alpaca: "
                           "AAPLUSD for AAPL, keys from ALPACA_API_KEY_ID and "
                           "ALPACA_API_SECRET_KEY or `keys set alpaca`)")  # fmt: skip
    down.add_argument("--alpaca-feed", choices=("iex", "sip"), default="iex",
                      help="Alpaca's data feed (sip needs a paid subscription)")  # fmt: skip
    down.add_argument("--no-progress", action="store_true", help="no progress bar")
    return ap


def run_data_command(
    argv: Sequence[str],
    endpoints: "Endpoints | None" = None,
    upbit_url: str | None = None,
    alpaca_url: str | None = None,
) -> int:
    """`tui-trader data download SYMBOL INTERVAL --from --to [--venue]`. Binance mainnet,
    Upbit's and Alpaca's APIs unless `endpoints` / `upbit_url` / `alpaca_url` say
    otherwise (tests point them at local servers). A key Alpaca refuses is configuration:
    exit 2, like a missing one."""
    from tui_trader.backtest.download import DownloadError, DownloadRefused, DownloadRequest

    try:
        args = _parse(data_parser(), argv)
        if isinstance(args, int):
            return args
        request = DownloadRequest(args.symbol, args.interval, args.start, args.end)
        fetch = _downloader(args, request, endpoints, upbit_url, alpaca_url)
        folder = args.dir or load_settings().data_path / "klines"
    except (_UsageError, ConfigError, ValueError) as exc:
        print(f"tui-trader data: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        with bar(not args.no_progress, f"{request.symbol} {request.interval}", None) as advance:
            result = fetch(folder, advance)
    except DownloadRefused as exc:
        print(f"tui-trader data: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (DownloadError, OSError) as exc:
        print(f"tui-trader data: download stopped: {exc}", file=sys.stderr)
        return EXIT_FAILED
    resumed = (
        f", resumed after {result.resumed_after:%Y-%m-%d %H:%M}" if result.resumed_after else ""
    )
    print(f"{result.path}: {result.cached} candles ({result.written} new{resumed})")
    return 0


async def _alpaca_keys(alp: "ModuleType") -> "AlpacaKeys":
    """The environment's Alpaca keys, else the keyring's (opened off the event loop)."""
    from tui_trader.secrets.process_store import optional_secret_store

    store = await optional_secret_store(load_settings())
    keys: AlpacaKeys = await alp.alpaca_keys(os.environ, store)
    return keys


def _downloader(
    args: argparse.Namespace,
    request: "DownloadRequest",
    endpoints: "Endpoints | None",
    upbit_url: str | None,
    alpaca_url: str | None,
) -> "Callable[[Path, Progress | None], DownloadResult]":
    """The venue's download, checked before any request (ValueError: usage). Each
    venue's client loads only when it is the one asked for."""
    if args.venue == "upbit":
        from tui_trader.backtest.download_upbit import UpbitDownload, download_upbit
        from tui_trader.upbit.quotation import API

        upbit = UpbitDownload(request, upbit_url or API)
        return lambda folder, advance: download_upbit(upbit, folder, advance)
    if args.venue == "alpaca":
        try:
            from tui_trader.alpaca.bars import API as ALPACA_API
            from tui_trader.backtest import download_alpaca as alp
        except ImportError:
            raise ValueError('--venue alpaca needs alpaca-py: pip install -e ".[alpaca]"') from None
        alp.check_request(request)  # a bad interval is said before missing keys
        keys = asyncio.run(_alpaca_keys(alp))
        alpaca = alp.AlpacaDownload(request, keys, alpaca_url or ALPACA_API, args.alpaca_feed)
        return lambda folder, advance: alp.download_alpaca(alpaca, folder, advance)
    from tui_trader.backtest.download import download_klines
    from tui_trader.binance.client import ENDPOINTS, ClientSpec

    client = ClientSpec(endpoints or ENDPOINTS["mainnet"])
    return lambda folder, advance: download_klines(request, folder, client, advance)
