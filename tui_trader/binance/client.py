"""Build python-binance clients for mainnet, testnet, demo or a loopback double.

python-binance reads its base URLs from class attributes while the client is being
constructed (and `create()` immediately pings), so the only reliable override is a
subclass built at runtime. We use one for every environment: our own URL table is then
the single source of truth, and `testnet`/`demo` stay False so the library never
substitutes its own hosts.
"""

import time
from dataclasses import dataclass, field
from typing import Any, Literal

from binance import AsyncClient
from binance.ws.streams import BinanceSocketManager

from tui_trader.secrets.redact import default_redactor

BinanceEnv = Literal["mainnet", "testnet", "demo"]


@dataclass(frozen=True, slots=True)
class Endpoints:
    api: str  # spot REST base, ends in /api
    ws_api: str  # spot WebSocket API (orders, user data subscription)
    stream: str  # spot market streams, with the trailing "/"
    fapi: str  # USD-M REST base, ends in /fapi
    ws_fapi: str
    fstream: str  # USD-M market streams, with the trailing "/"


def _hosted(
    api: str, ws_api: str, stream: str, fapi: str, ws_fapi: str, fstream: str, *, tls: bool = True
) -> Endpoints:
    """Endpoints from each service's host[:port]: the paths are the same everywhere."""
    http, ws = ("https", "wss") if tls else ("http", "ws")
    return Endpoints(
        api=f"{http}://{api}/api",
        ws_api=f"{ws}://{ws_api}/ws-api/v3",
        stream=f"{ws}://{stream}/",
        fapi=f"{http}://{fapi}/fapi",
        ws_fapi=f"{ws}://{ws_fapi}/ws-fapi/v1",
        fstream=f"{ws}://{fstream}/",
    )


ENDPOINTS: dict[BinanceEnv, Endpoints] = {
    "mainnet": _hosted(
        api="api.binance.com",
        ws_api="ws-api.binance.com:443",
        stream="stream.binance.com:9443",
        fapi="fapi.binance.com",
        ws_fapi="ws-fapi.binance.com",
        fstream="fstream.binance.com",
    ),
    "testnet": _hosted(
        api="testnet.binance.vision",
        ws_api="ws-api.testnet.binance.vision",
        stream="stream.testnet.binance.vision",
        fapi="testnet.binancefuture.com",
        ws_fapi="testnet.binancefuture.com",
        fstream="fstream.binancefuture.com",
    ),
    # Spot demo mode (live since 2026-01-29). python-binance points futures-demo
    # streams at the testnet host; other clients use demo-fstream, which we follow.
    "demo": _hosted(
        api="demo-api.binance.com",
        ws_api="demo-ws-api.binance.com",
        stream="demo-stream.binance.com",
        fapi="demo-fapi.binance.com",
        ws_fapi="testnet.binancefuture.com",
        fstream="demo-fstream.binance.com",
    ),
}


def loopback_endpoints(port: int, host: str = "127.0.0.1") -> Endpoints:
    """Every URL on one local server (the exchange double in tests)."""
    return _hosted(*[f"{host}:{port}"] * 6, tls=False)


@dataclass(frozen=True, slots=True)
class ClientSpec:
    """What it takes to build a client; secrets are kept out of repr."""

    endpoints: Endpoints
    api_key: str | None = field(default=None, repr=False)
    api_secret: str | None = field(default=None, repr=False)
    request_timeout_s: float = 10.0

    def __post_init__(self) -> None:
        # Whoever built the spec loaded the keys: registered here, they are masked in
        # every log line and error text even if that loader forgot.
        for secret in (self.api_key, self.api_secret):
            if secret:
                default_redactor().add(secret)

    @classmethod
    def for_env(
        cls, env: BinanceEnv, api_key: str | None = None, api_secret: str | None = None
    ) -> "ClientSpec":
        return cls(ENDPOINTS[env], api_key, api_secret)

    async def create(self) -> Any:
        """Create the AsyncClient. Call it inside the running loop: the client binds
        its aiohttp session to the loop that exists at construction."""
        urls = self.endpoints
        client_class: Any = type(
            "TuiTraderAsyncClient",
            (AsyncClient,),
            {
                "API_URL": urls.api,
                "MARGIN_API_URL": urls.api.removesuffix("/api") + "/sapi",
                "FUTURES_URL": urls.fapi,
                "FUTURES_DATA_URL": urls.fapi.removesuffix("/fapi") + "/futures/data",
                "WS_API_URL": urls.ws_api,
                "WS_FUTURES_URL": urls.ws_fapi,
                "REQUEST_TIMEOUT": self.request_timeout_s,
            },
        )
        # What AsyncClient.create() does, except that a failure also closes the WebSocket
        # API session it leaves open (an "Unclosed client session" per failed attempt).
        client = client_class(self.api_key, self.api_secret)
        try:
            await client.ping()
            await resync_time(client)
        except BaseException:
            await close_client(client)
            raise
        return client

    def socket_manager(self, client: Any, max_queue_size: int) -> Any:
        """A socket manager whose stream URLs point at our endpoints (read per socket)."""
        manager = BinanceSocketManager(client, max_queue_size=max_queue_size)
        manager.STREAM_URL = self.endpoints.stream
        manager.FSTREAM_URL = self.endpoints.fstream
        return manager


async def resync_time(client: Any) -> int:
    """Re-measure the server clock offset; python-binance only does it at create()."""
    server = await client.get_server_time()
    # python-binance stamps requests with time.time() + offset, so measure against it.
    offset = int(server["serverTime"]) - int(time.time() * 1000)
    client.timestamp_offset = offset
    return offset


async def close_client(client: Any) -> None:
    """Close the REST session and both WebSocket API connections (close_connection
    leaves ws_future open)."""
    await client.close_connection()
    await client.ws_future.close()
