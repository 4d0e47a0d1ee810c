"""The one error the journal raises: its message is meant for the operator."""


class JournalError(Exception):
    """The journal cannot do what was asked (missing file, newer schema, duplicate
    client order id, writes failing); nothing already committed is lost."""
