"""The runtime layer: the trader, its collaborators and the links that compose the
core with feeds, brokers, the journal and the advisor."""
