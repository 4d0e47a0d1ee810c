"""Command line: tui-trader [run|status|kill|selftest|export|report|keys|backtest] ...

Heavy modules (textual, the trader, python-binance) are imported inside the command that
needs them, so `status` and `kill` answer at once and the app's first frame comes fast."""

import argparse
import asyncio
import importlib
import math
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from tui_trader.app.program_settings import ProgramSettings, read_program_settings
from tui_trader.config import ConfigError, Settings, check_symbol, load_settings

EXIT_CONFIG = 2
MAX_SPEED = 100000.0  # SIM_SPEED's upper bound: "as fast as possible" in practice
MAX_DURATION_S = 366 * 86400.0


def _finite(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
    return value


def speed_arg(text: str) -> float:
    """--speed: a multiplier from 0 (as fast as possible) to MAX_SPEED."""
    value = _finite(text)
    if not 0 <= value <= MAX_SPEED:
        raise argparse.ArgumentTypeError(
            f"{text!r} must be from 0 (as fast as possible) to {MAX_SPEED:g}"
        )
    return value


def duration_arg(text: str) -> float:
    """--duration: seconds, more than 0 and at most a year."""
    value = _finite(text)
    if not 0 < value <= MAX_DURATION_S:
        raise argparse.ArgumentTypeError(
            f"{text!r} must be more than 0 and at most {MAX_DURATION_S:.0f} seconds (366 days)"
        )
    return value


def symbol_arg(text: str) -> str:
    """--symbol: letters and digits, upper-cased; its quote is checked with the settings."""
    try:
        return check_symbol(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _run_options(parser: argparse.ArgumentParser) -> None:
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--demo", action="store_true", help="built-in simulated market")
    source.add_argument("--replay", type=Path, metavar="FILE", help="replay candles from CSV")
    parser.add_argument(
        "--symbol", type=symbol_arg, help="symbol of the --replay file (default: first SYMBOLS)"
    )
    parser.add_argument("--speed", type=speed_arg, help="market speed multiplier (0 = max)")
    parser.add_argument("--duration", type=duration_arg, metavar="S", help="stop after S seconds")
    parser.add_argument("--theme", help="terminal app theme name")
    parser.add_argument(
        "--new-account",
        action="store_true",
        help="start a fresh paper account although this data dir's journal is lost",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tui-trader", description="Automated Binance trader operated from the terminal."
    )
    _run_options(parser)
    commands = parser.add_subparsers(dest="command")

    run = commands.add_parser("run", help="run the trader (terminal app unless --headless)")
    _run_options(run)
    run.add_argument("--headless", action="store_true", help="no terminal app; status lines")
    run.add_argument("--once", action="store_true", help="one pass: replay file or 1 candle")
    run.add_argument(
        "--i-understand-live-trading",
        action="store_true",
        help="with --headless and TRADING_MODE=live: trade live (token file, keyring keys)",
    )

    commands.add_parser("status", help="show the state recorded in the journal")
    commands.add_parser(
        "backtest",
        help="replay candles through the live strategy → risk → paper code",
        add_help=False,
    )
    commands.add_parser("data", help="download Binance klines for backtests", add_help=False)

    kill = commands.add_parser("kill", help="activate (or clear) the kill switch")
    kill.add_argument("--close-positions", action="store_true", help="also flatten positions")
    kill.add_argument("--reason", default="operator command", help="recorded with the kill")
    kill.add_argument("--clear", action="store_true", help="clear the kill switch")
    kill.add_argument("--yes", action="store_true", help="confirm --clear")

    selftest = commands.add_parser("selftest", help="check config, data dir, journal, ...")
    selftest.add_argument("--online", action="store_true", help="also check exchange reach")

    doctor = commands.add_parser("doctor", help="operational checks: OK/WARN/FAIL per line")
    doctor.add_argument("--online", action="store_true", help="also ask the venue: clock, live key")

    keys = commands.add_parser("keys", help="API keys in the OS keyring: set/list/delete/check")
    keys.add_argument("keys_args", nargs=argparse.REMAINDER, metavar="set NAME | list | ...")

    strategies = commands.add_parser("strategies", help="strategies and plug-ins")
    strategies.add_argument("action", choices=["list"], help="list: names, parameters, plug-ins")

    report = commands.add_parser("report", help="reports from the journal")
    report.add_argument(
        "kind", choices=["divergence"], help="divergence: paper measured against live, per order"
    )

    export = commands.add_parser("export", help="export journal rows as CSV")
    export.add_argument("kind", choices=["orders", "fills", "trades"])
    export.add_argument("--csv", type=Path, required=True, metavar="FILE")
    return parser


def _settings(args: argparse.Namespace) -> ProgramSettings:
    overrides: dict[str, object] = {}
    if getattr(args, "theme", None):
        overrides["theme"] = args.theme
    if getattr(args, "speed", None) is not None:
        overrides["sim_speed"] = args.speed if args.speed > 0 else MAX_SPEED
    return read_program_settings(run=(args.command or "run") == "run", **overrides)


def _check_symbol_quote(
    parser: argparse.ArgumentParser, args: argparse.Namespace, settings: Settings
) -> None:
    """--symbol must be quoted in QUOTE_ASSET, as SYMBOLS must (argparse's exit 2)."""
    symbol = getattr(args, "symbol", None)
    if symbol and not symbol.endswith(settings.quote_asset):
        parser.error(
            f"argument --symbol: {symbol} is not quoted in QUOTE_ASSET={settings.quote_asset}"
        )


def _env_file_refusals(settings: Settings) -> list[str]:
    """Live trading refuses secrets in .env: they belong in the keyring (invariant 7)."""
    from tui_trader.secrets import check_env_file

    live = settings.trading_mode == "live"
    return check_env_file(Path(".env"), "live" if live else "paper")


def _journal_lost(args: argparse.Namespace, settings: Settings) -> str | None:
    """A used data dir whose journal is missing, empty or has no schema: refused (exit 2)
    before anything starts, unless --new-account says to start over on purpose."""
    from tui_trader.journal.preflight import lost_message, lost_reason
    from tui_trader.runtime.build_trader import JOURNAL_FILE

    if getattr(args, "new_account", False):
        return None
    reason = lost_reason(settings.data_path / JOURNAL_FILE, settings.data_path / "logs")
    return lost_message(reason) if reason else None


def _cmd_run(args: argparse.Namespace, program: ProgramSettings) -> int:
    settings = program.core
    if lost := _journal_lost(args, settings):
        print(f"tui-trader: {lost}", file=sys.stderr)
        return EXIT_CONFIG
    refusals = _env_file_refusals(settings)
    if refusals:
        for line in refusals:
            print(f"tui-trader: {line}", file=sys.stderr)
        return EXIT_CONFIG
    if missing := _venue_library_missing(settings):
        print(f"tui-trader: {missing}", file=sys.stderr)
        return EXIT_CONFIG
    from tui_trader.app.startup import claim_data_dir, report_failure

    try:
        # Before the journal, the log file or the screen: a second trader on this data
        # dir stops here, with one line, whatever else is wrong (invariant 8).
        claim_data_dir(settings)
        return _trade(args, program)
    except Exception as exc:  # whatever stopped it, one line and a documented code
        return report_failure(exc)


def _venue_library_missing(settings: Settings) -> str:
    """Alpaca's SDK is an extra: without it VENUE=alpaca stops here, saying how to get it."""
    if settings.venue != "alpaca":
        return ""
    try:
        importlib.import_module("alpaca.data.historical.stock")
    except ImportError:
        return "VENUE=alpaca needs alpaca-py: pip install 'tui-trader[alpaca]'"
    return ""


def _trade(args: argparse.Namespace, program: ProgramSettings) -> int:
    if getattr(args, "headless", False):
        from tui_trader.app.headless import run_headless

        return asyncio.run(run_headless(program, args))
    from tui_trader.tui.launch import run_app

    return run_app(program, args)


def _cmd_status(_args: argparse.Namespace, program: ProgramSettings) -> int:
    from tui_trader.app.remote_commands import print_status

    return asyncio.run(print_status(program.core))


def _cmd_kill(args: argparse.Namespace, program: ProgramSettings) -> int:
    from tui_trader.app.datadir import owner_only_umask
    from tui_trader.app.remote_commands import kill_command

    owner_only_umask()  # the kill file (and a data dir it creates) is owner-only
    return kill_command(program.core, args)


def _cmd_selftest(args: argparse.Namespace, program: ProgramSettings) -> int:
    from tui_trader.app.selftest import run_selftest

    return asyncio.run(run_selftest(program.core, online=args.online))


def _cmd_doctor(args: argparse.Namespace, program: ProgramSettings) -> int:
    from tui_trader.app.doctor import run_doctor

    return asyncio.run(run_doctor(program.core, program.ops, online=args.online))


def _cmd_export(args: argparse.Namespace, program: ProgramSettings) -> int:
    from tui_trader.app.remote_commands import export_command

    return asyncio.run(export_command(program.core, args.kind, args.csv))


def _cmd_report(_args: argparse.Namespace, program: ProgramSettings) -> int:
    from tui_trader.app.divergence_report import divergence_command

    return asyncio.run(divergence_command(program.core))


def _cmd_strategies(_args: argparse.Namespace, program: ProgramSettings) -> int:
    from tui_trader.app.strategies_cli import list_strategies

    return list_strategies(program.core.data_path)


def _cmd_keys(args: argparse.Namespace, program: ProgramSettings) -> int:
    from tui_trader.app.datadir import owner_only_umask
    from tui_trader.app.keys_cli import run_keys
    from tui_trader.secrets import SecretStore

    owner_only_umask()  # secrets.cfg (the encrypted keyring file) is owner-only

    settings = program.core

    def store() -> SecretStore:
        return SecretStore.open(
            settings.secrets_backend, cryptfile_path=settings.data_path / "secrets.cfg"
        )

    return run_keys(args.keys_args, sys.stdin, sys.stdout, sys.stderr, store_factory=store)


COMMANDS: dict[str, Callable[[argparse.Namespace, ProgramSettings], int]] = {
    "run": _cmd_run,
    "status": _cmd_status,
    "kill": _cmd_kill,
    "selftest": _cmd_selftest,
    "export": _cmd_export,
    "report": _cmd_report,
    "strategies": _cmd_strategies,
    "keys": _cmd_keys,
    "doctor": _cmd_doctor,
}


def _check_env_file() -> None:
    """.env refuses unknown names, lines that are not KEY=VALUE and non-UTF-8 text."""
    from tui_trader.known_settings import read_env_file

    read_env_file()


# Commands an operator needs most when something is wrong: a misspelt name in `.env`
# (the file still parses, the data dir is still known) must not stop a kill.
LENIENT_ABOUT_NAMES = frozenset({"kill", "status", "export", "report", "doctor"})


def _load_plugins_for_help() -> None:
    """Plug-in strategies, so that `backtest --help` lists them; a configuration error is
    left for the command itself to report."""
    from tui_trader.strategies.plugins import load_plugins

    try:
        load_plugins(load_settings().data_path)
    except ConfigError:
        return


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    try:
        _check_env_file()
    except ConfigError as exc:
        from tui_trader.known_settings import UnknownSetting

        lenient = isinstance(exc, UnknownSetting) and words[:1] and words[0] in LENIENT_ABOUT_NAMES
        if not lenient:
            print(f"tui-trader: {exc}", file=sys.stderr)
            return EXIT_CONFIG
        print(f"tui-trader: warning: {exc}; ignored by `{words[0]}`", file=sys.stderr)
    if words[:1] in (["backtest"], ["data"]):
        # These parse their own options (many, and --param/--grid repeatable).
        from tui_trader.backtest.cli import run_backtest_command, run_data_command

        own_parser = run_backtest_command if words[0] == "backtest" else run_data_command
        _load_plugins_for_help()
        return own_parser(words[1:])
    parser = build_parser()
    args = parser.parse_args(words)
    try:
        program = _settings(args)
    except ConfigError as exc:
        print(f"tui-trader: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    _check_symbol_quote(parser, args, program.core)
    handler = COMMANDS.get(args.command or "run", _cmd_run)
    try:
        return handler(args, program)
    except KeyboardInterrupt:
        return 130
    except ConfigError as exc:  # a secret or file found missing later is as strict
        print(f"tui-trader: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except BrokenPipeError:  # `tui-trader status | head`: the reader left, that is fine
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
