"""SQLite journal (aiosqlite, WAL) and JSONL event logs."""

from tui_trader.journal.errors import DuplicateRecord, JournalError, JournalLost
from tui_trader.journal.export import ExportKind, export_csv
from tui_trader.journal.reader import RunInfo
from tui_trader.journal.schema import SCHEMA_VERSION
from tui_trader.journal.status import StatusReport, check_journal, read_status
from tui_trader.journal.store import Journal
from tui_trader.journal.trades import RoundTrip, pair_round_trips
from tui_trader.journal.writer import WriterTuning

__all__ = [
    "SCHEMA_VERSION",
    "DuplicateRecord",
    "ExportKind",
    "Journal",
    "JournalError",
    "JournalLost",
    "RoundTrip",
    "RunInfo",
    "StatusReport",
    "WriterTuning",
    "check_journal",
    "export_csv",
    "pair_round_trips",
    "read_status",
]
