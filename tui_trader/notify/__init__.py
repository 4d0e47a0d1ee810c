"""Notifications (Slack, Telegram) and Telegram remote control: edge tasks that read
trader snapshots and call the `TraderCommands` API, never the core itself."""
