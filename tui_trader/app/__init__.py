"""The process layer: command-line entry points, exit codes, the data dir, logging
set-up and the headless runner."""
