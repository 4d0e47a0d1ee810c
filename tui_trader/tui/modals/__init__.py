"""Modal dialogs. Each returns a plain result through `dismiss`; the app acts on it."""
