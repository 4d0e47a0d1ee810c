"""Configuration faults on a real `tui-trader` process: a `.env` with a typo, a broken
line or bytes that are not UTF-8, absurd values in any settings group, loosely written
command-line values and a broken strategy parameter file. Each stops the process before
it does anything, with exit 2 and a line that names what is wrong."""

from pathlib import Path

import pytest

from tests.faults.support import Outcome, assert_one_line_failure, clean_env, run_cli

RUN_ONCE = ("run", "--headless", "--demo", "--once")


def with_env_file(tmp_path: Path, content: bytes) -> tuple[Path, dict[str, str]]:
    """A working folder holding `.env`, and an environment pointed at a fresh data dir."""
    work = tmp_path / "work"
    work.mkdir()
    (work / ".env").write_bytes(content)
    return work, clean_env(tmp_path / "data")


def assert_usage_error(outcome: Outcome, *needles: str) -> None:
    """argparse's refusal: exit 2, the option and the reason on stderr, no traceback."""
    assert "Traceback" not in outcome.stderr + outcome.stdout, outcome.stderr
    assert outcome.code == 2, (outcome.code, outcome.stderr)
    for needle in needles:
        assert needle in outcome.stderr, (needle, outcome.stderr)


# --- .env ------------------------------------------------------------------------------
@pytest.mark.fault(".env typo", "exit 2, names the key and the closest known name")
def test_env_file_typo_is_refused(tmp_path: Path) -> None:
    work, env = with_env_file(tmp_path, b"SYMBOLS=BTCUSDT\nMAX_DAILY_LOS_PCT=1\n")
    outcome = run_cli("selftest", env=env, cwd=work)
    assert_one_line_failure(outcome, 2, ".env, line 2", "MAX_DAILY_LOS_PCT", "MAX_DAILY_LOSS_PCT")


@pytest.mark.fault(".env typo", "exit 2, names the key and the closest known name")
def test_env_file_typo_stops_a_run_before_it_starts(tmp_path: Path) -> None:
    work, env = with_env_file(tmp_path, b"LLM_TIMEOUT=5\n")
    outcome = run_cli(*RUN_ONCE, env=env, cwd=work)
    assert_one_line_failure(outcome, 2, "LLM_TIMEOUT", "LLM_TIMEOUT_S")
    assert not (tmp_path / "data" / "journal.db").exists()


@pytest.mark.fault(".env typo", "kill and status still work, with one warning")
def test_env_file_typo_never_stops_a_kill(tmp_path: Path) -> None:
    work, env = with_env_file(tmp_path, b"MAX_DAILY_LOS_PCT=1\n")
    killed = run_cli("kill", "--reason", "typo in .env", env=env, cwd=work)
    assert killed.code == 0, killed.stderr
    assert (tmp_path / "data" / "KILL_SWITCH").is_file()
    [warning] = killed.stderr.splitlines()
    assert "warning" in warning and "MAX_DAILY_LOSS_PCT" in warning
    status = run_cli("status", env=env, cwd=work)
    assert "kill switch: ACTIVE" in status.stdout, status


@pytest.mark.fault(".env line without =", "exit 2, names the file and the line")
def test_env_file_line_without_equals_is_refused(tmp_path: Path) -> None:
    work, env = with_env_file(tmp_path, b"# settings\n\nSYMBOLS=BTCUSDT\nMAX_OPEN_POSITIONS\n")
    outcome = run_cli("selftest", env=env, cwd=work)
    assert_one_line_failure(outcome, 2, ".env, line 4", "MAX_OPEN_POSITIONS", "KEY=VALUE")


@pytest.mark.fault(".env not UTF-8", "exit 2, names the file and the line")
def test_env_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    work, env = with_env_file(tmp_path, b"SYMBOLS=BTCUSDT\nTHEME=caf\xe9\n")
    outcome = run_cli("status", env=env, cwd=work)
    assert_one_line_failure(outcome, 2, ".env, line 2", "UTF-8")


# --- absurd values, every settings group -----------------------------------------------
@pytest.mark.fault("absurd setting", "exit 2, names the setting and the bound")
@pytest.mark.parametrize(
    ("line", "needles"),
    [
        (b"MAX_HOLDING_MINUTES=99999999999999", ("MAX_HOLDING_MINUTES", "less than or equal")),
        (b"SIM_SPEED=nan", ("SIM_SPEED", "finite")),
        (b"PAPER_QUOTE_BALANCE=1e40", ("PAPER_QUOTE_BALANCE", "less than or equal")),
        (b"LLM_COOLDOWN_S=1e300", ("LLM_COOLDOWN_S", "less than or equal")),
        (b"LLM_TEMPERATURE=inf", ("LLM_TEMPERATURE", "finite")),
        (b"LLM_TIMEOUT_S=soon", ("LLM_TIMEOUT_S", "valid number")),
        (b"MIN_FREE_DISK_MB=1000000000000000", ("MIN_FREE_DISK_MB", "less than or equal")),
        (b"TELEGRAM_CHAT_ID=123456789012345678901234", ("TELEGRAM_CHAT_ID",)),
    ],
)
def test_absurd_value_stops_the_run(tmp_path: Path, line: bytes, needles: tuple[str]) -> None:
    work, env = with_env_file(tmp_path, line + b"\n")
    outcome = run_cli(*RUN_ONCE, env=env, cwd=work)
    assert_one_line_failure(outcome, 2, "invalid setting", *needles)
    assert not (tmp_path / "data" / "journal.db").exists()


@pytest.mark.fault("bad LLM or ops setting", "exit 2, one line, like the core's")
@pytest.mark.parametrize("command", ["selftest", "doctor", "status"])
def test_every_settings_group_fails_like_the_core(tmp_path: Path, command: str) -> None:
    env = clean_env(tmp_path / "data", LLM_MAX_RETRIES="many", HEALTH_PORT="80")
    outcome = run_cli(command, env=env, cwd=tmp_path)
    assert_one_line_failure(outcome, 2, "invalid setting LLM_MAX_RETRIES='many'")


# --- command-line values ---------------------------------------------------------------
@pytest.mark.fault("bad command-line value", "exit 2 from argparse, names the option")
@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (("--symbol", "BTC;rm -rf"), ("--symbol", "letters and digits")),
        (("--symbol", "ETHBTC"), ("--symbol", "QUOTE_ASSET=USDT")),
        (("--speed", "-1"), ("--speed", "from 0")),
        (("--speed", "nan"), ("--speed", "finite")),
        (("--duration", "-5"), ("--duration", "more than 0")),
        (("--duration", "nan"), ("--duration", "finite")),
    ],
)
def test_loose_cli_value_is_refused(tmp_path: Path, args: tuple[str], needles: tuple[str]) -> None:
    outcome = run_cli(*RUN_ONCE, *args, env=clean_env(tmp_path / "data"), cwd=tmp_path)
    assert_usage_error(outcome, *needles)
    assert not (tmp_path / "data" / "journal.db").exists()


# --- strategy parameter files ----------------------------------------------------------
def with_strategy_file(tmp_path: Path, text: str) -> tuple[Path, dict[str, str]]:
    work = tmp_path / "work"
    (work / "strategies").mkdir(parents=True)
    (work / "strategies" / "rsi.toml").write_text(text)
    (work / "BTCUSDT-1m.csv").write_text("")
    return work, clean_env(tmp_path / "data", STRATEGY="rsi")


@pytest.mark.fault("bad strategy parameter file", "exit 2, one line, for run and backtest")
@pytest.mark.parametrize(
    ("text", "needles"),
    [
        ("period = 9\noversold = \n", ("rsi.toml, line 2: invalid TOML",)),
        ("period = 9\nperiood = 3\n", ("rsi.toml", "unknown parameter 'periood'")),
    ],
)
def test_bad_strategy_file_stops_run_as_it_stops_backtest(
    tmp_path: Path, text: str, needles: tuple[str]
) -> None:
    work, env = with_strategy_file(tmp_path, text)
    backtest = ("backtest", "--strategy", "rsi", "--data", "BTCUSDT-1m.csv")
    tested = assert_one_line_failure(run_cli(*backtest, env=env, cwd=work), 2, *needles)
    run = assert_one_line_failure(run_cli(*RUN_ONCE, env=env, cwd=work), 2, *needles)
    # One resolution: the same file, the same words.
    assert run.removeprefix("tui-trader: ") == tested.removeprefix("tui-trader backtest: ")
    assert not (tmp_path / "data" / "journal.db").exists()


@pytest.mark.fault("bad STRATEGY_PARAMS", "exit 2, one line, names STRATEGY_PARAMS")
def test_unknown_strategy_params_key_stops_the_run(tmp_path: Path) -> None:
    env = clean_env(tmp_path / "data", STRATEGY="rsi", STRATEGY_PARAMS='{"fast": 3}')
    outcome = run_cli(*RUN_ONCE, env=env, cwd=tmp_path)
    assert_one_line_failure(outcome, 2, "STRATEGY_PARAMS", "unknown parameter 'fast'")


# --- doctor ----------------------------------------------------------------------------
@pytest.mark.fault("misspelt setting in the environment", "doctor WARN line, closest name")
def test_doctor_warns_about_settings_like_variables(tmp_path: Path) -> None:
    env = clean_env(tmp_path / "data", MAX_DAILY_LOS_PCT="1", EDITOR="vi")
    outcome = run_cli("doctor", env=env, cwd=tmp_path, deadline=30)
    warnings = [line for line in outcome.stdout.splitlines() if line.startswith("WARN env")]
    assert len(warnings) == 1, outcome.stdout
    assert "MAX_DAILY_LOS_PCT" in warnings[0] and "MAX_DAILY_LOSS_PCT" in warnings[0]
