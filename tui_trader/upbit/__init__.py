"""Upbit (KRW spot): the venue's public quotation API so far (candles for backtests)."""
