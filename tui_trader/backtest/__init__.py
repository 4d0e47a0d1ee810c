"""Backtests through the live trading code: `runner` (replay loop, fill semantics),
`shell` (the synchronous trader it drives), `metrics`, `report`/`chart` (terminal),
`export` (JSON/CSV), `grid` (parameter search across processes), `download` (Binance
klines cache) and `cli` (the `backtest` and `data` commands)."""
