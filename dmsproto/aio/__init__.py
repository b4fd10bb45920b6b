"""The asyncio client for the DMS JSON Data Exchange (WebSocket and HTTP POST).

    import asyncio
    import dmsproto.aio

    async def main() -> None:
        async with dmsproto.aio.connect("ws://dms:9020/json_data", whois="my-app") as dms:
            print((await dms.get("Plant:T1:Istwert")).value)
            async with dms.subscribe("Plant", max_depth=0) as sub:
                async for event in sub:
                    print(event.path, event.value)

    asyncio.run(main())

The same calls, parameters, typed results, exceptions and options as the trio
client (``dmsproto.connect``): both are one shared client over the same sans-I/O
core, each with its own event loop's transport.  This one runs on asyncio's own
streams and TLS, with the WebSocket protocol from wsproto; it starts no thread.
"""

from __future__ import annotations

from ..options import ReconnectPolicy
from ._client import Client, Subscription, connect

__all__ = ["Client", "ReconnectPolicy", "Subscription", "connect"]
