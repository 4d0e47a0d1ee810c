import json
from pathlib import Path

import pytest

from tui_trader.journal.jsonl import RotatingJsonl


def line(n: int) -> str:
    """A JSON line of exactly 39 characters (40 bytes with its newline)."""
    text = json.dumps({"n": n, "pad": ""})
    return json.dumps({"n": n, "pad": "x" * (39 - len(text))})


def numbers(path: Path) -> list[int]:
    return [json.loads(raw)["n"] for raw in path.read_text().splitlines()]


def test_lines_go_to_their_category_file(tmp_path: Path) -> None:
    log = RotatingJsonl(tmp_path, max_bytes=10_000, backups=2)
    log.write([("orders", line(1)), ("fills", line(2)), ("orders", line(3))])
    log.close()
    assert numbers(tmp_path / "orders.jsonl") == [1, 3]
    assert numbers(tmp_path / "fills.jsonl") == [2]
    assert len(line(1)) == 39


def test_rotation_keeps_backups_and_drops_the_oldest(tmp_path: Path) -> None:
    # 40-byte lines, 100-byte files: two lines per file.
    log = RotatingJsonl(tmp_path, max_bytes=100, backups=2)
    log.write(("orders", line(n)) for n in range(1, 8))
    log.close()
    base = tmp_path / "orders.jsonl"
    assert numbers(base) == [7]
    assert numbers(tmp_path / "orders.jsonl.1") == [5, 6]
    assert numbers(tmp_path / "orders.jsonl.2") == [3, 4]
    assert not (tmp_path / "orders.jsonl.3").exists()


def test_reopened_log_continues_the_size_count(tmp_path: Path) -> None:
    first = RotatingJsonl(tmp_path, max_bytes=100, backups=1)
    first.write([("safety", line(1))])
    first.close()
    second = RotatingJsonl(tmp_path, max_bytes=100, backups=1)
    second.write([("safety", line(2)), ("safety", line(3))])
    second.close()
    assert numbers(tmp_path / "safety.jsonl.1") == [1, 2]
    assert numbers(tmp_path / "safety.jsonl") == [3]


def test_a_line_longer_than_the_limit_is_written_whole(tmp_path: Path) -> None:
    log = RotatingJsonl(tmp_path, max_bytes=50, backups=1)
    big = json.dumps({"n": 1, "pad": "y" * 200})
    log.write([("general", line(0)), ("general", big), ("general", line(2))])
    log.close()
    assert numbers(tmp_path / "general.jsonl") == [2]
    assert (tmp_path / "general.jsonl.1").read_text() == big + "\n"


def test_zero_backups_truncates(tmp_path: Path) -> None:
    log = RotatingJsonl(tmp_path, max_bytes=100, backups=0)
    log.write(("balances", line(n)) for n in range(1, 4))
    log.close()
    assert numbers(tmp_path / "balances.jsonl") == [3]
    assert list(tmp_path.iterdir()) == [tmp_path / "balances.jsonl"]


def test_bad_arguments_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="max_bytes"):
        RotatingJsonl(tmp_path, max_bytes=0, backups=1)
    with pytest.raises(ValueError, match="backups"):
        RotatingJsonl(tmp_path, max_bytes=10, backups=-1)
    log = RotatingJsonl(tmp_path, max_bytes=10, backups=1)
    with pytest.raises(ValueError, match="unknown JSONL category 'trades'"):
        log.write([("trades", "{}")])
