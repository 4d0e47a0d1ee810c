"""Slack through an incoming webhook: POST {"text": ...} to the webhook URL.

Slack answers 200 "ok"; 429 with Retry-After when rate limited; 400/403/404/410 for a bad
payload, a revoked webhook or an archived channel (retrying cannot help)."""

from tui_trader.notify.channel import DeliveryError
from tui_trader.notify.http import TRANSIENT_ERRORS, HttpSession, retry_after, transport_error
from tui_trader.secrets.redact import Redactor, default_redactor

PERMANENT_STATUSES = frozenset({400, 401, 403, 404, 410})


class SlackWebhook:
    name = "slack"
    max_length = 3500  # Slack shows longer text folded; keep a message readable

    def __init__(
        self, url: str, *, timeout_s: float = 10.0, redactor: Redactor | None = None
    ) -> None:
        if not url.startswith(("https://", "http://")):
            raise ValueError("the Slack webhook must be an http(s) URL")
        # Whoever built us holds the URL: register it (and its path and token) here too,
        # so an error reply that echoes the path is masked however the URL was loaded.
        self._redactor = redactor or default_redactor()
        self._redactor.add(url)
        self._url = url
        self._http = HttpSession(timeout_s)

    async def send(self, text: str) -> None:
        try:
            payload = {"text": self._redactor.redact(text)}  # the last stop before Slack
            async with self._http.get().post(self._url, json=payload) as response:
                body = self._redactor.redact((await response.text())[:200])
                status, hint = response.status, response.headers.get("Retry-After")
        except TRANSIENT_ERRORS as exc:
            raise transport_error("slack", exc) from None
        if status == 200:
            return
        raise DeliveryError(
            f"slack: HTTP {status} {body}",
            retry_after_s=retry_after(hint),
            permanent=status in PERMANENT_STATUSES,
        )

    async def close(self) -> None:
        await self._http.close()
