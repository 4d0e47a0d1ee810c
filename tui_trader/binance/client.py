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

BinanceEnv = Literal["mainnet", "testnet", "demo"]


@dataclass(frozen=True, slots=True)
class Endpoints:
    api: str  # spot REST base, ends in /api
    ws_api: str  # spot WebSocket API (orders, user data subscription)
    stream: str  # spot market streams, with the trailing "/"
    fapi: str  # USD-M REST base, ends in /fapi
    ws_fapi: str
    fstream: str  # USD-M market streams, with the trailing "/"


ENDPOINTS: dict[BinanceEnv, Endpoints] = {
    "mainnet": Endpoints(
        api="https://api.binance.com/api",
        ws_api="wss://ws-api.binance.com:443/ws-api/v3",
        stream="wss://stream.binance.com:9443/",
        fapi="https://fapi.binance.com/fapi",
        ws_fapi="wss://ws-fapi.binance.com/ws-fapi/v1",
        fstream="wss://fstream.binance.com/",
    ),
    "testnet": Endpoints(
        api="https://testnet.binance.vision/api",
        ws_api="wss://ws-api.testnet.binance.vision/ws-api/v3",
        stream="wss://stream.testnet.binance.vision/",
        fapi="https://testnet.binancefuture.com/fapi",
        ws_fapi="wss://testnet.binancefuture.com/ws-fapi/v1",
        fstream="wss://fstream.binancefuture.com/",
    ),
    # Spot demo mode (live since 2026-01-29). python-binance points futures-demo
    # streams at the testnet host; other clients use demo-fstream, which we follow.
    "demo": Endpoints(
        api="https://demo-api.binance.com/api",
        ws_api="wss://demo-ws-api.binance.com/ws-api/v3",
        stream="wss://demo-stream.binance.com/",
        fapi="https://demo-fapi.binance.com/fapi",
        ws_fapi="wss://testnet.binancefuture.com/ws-fapi/v1",
        fstream="wss://demo-fstream.binance.com/",
    ),
}


def loopback_endpoints(port: int, host: str = "127.0.0.1") -> Endpoints:
    """Every URL on one local server (the exchange double in tests)."""
    base = f"{host}:{port}"
    return Endpoints(
        api=f"http://{base}/api",
        ws_api=f"ws://{base}/ws-api/v3",
        stream=f"ws://{base}/",
        fapi=f"http://{base}/fapi",
        ws_fapi=f"ws://{base}/ws-fapi/v1",
        fstream=f"ws://{base}/",
    )


@dataclass(frozen=True, slots=True)
class ClientSpec:
    """What it takes to build a client; secrets are kept out of repr."""

    endpoints: Endpoints
    api_key: str | None = field(default=None, repr=False)
    api_secret: str | None = field(default=None, repr=False)
    request_timeout_s: float = 10.0

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
        return await client_class.create(self.api_key, self.api_secret)

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
