"""SQLite journal (aiosqlite, WAL) and JSONL event logs."""
