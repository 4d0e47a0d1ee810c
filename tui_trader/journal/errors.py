"""The one error the journal raises: its message is meant for the operator."""


class JournalError(Exception):
    """The journal cannot do what was asked (missing file, newer schema, duplicate
    client order id, writes failing); nothing already committed is lost."""


class DuplicateRecord(JournalError):
    """The record (a client order id) is already journaled: nothing was written."""


class JournalLost(JournalError):
    """The data dir was used before but its journal is missing, empty or has no schema:
    starting over would silently open a fresh account (`--new-account` says so on purpose)."""
