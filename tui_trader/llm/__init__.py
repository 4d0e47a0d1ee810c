"""LLM advisor: openai SDK client, prompt builder, output schemas, budget, gate.

Import the submodules directly (`tui_trader.llm.settings`, `.advisor`, ...): this package
imports nothing itself, so reading LLM settings at start-up does not load the openai SDK
(about half a second) when the advisor is off."""
