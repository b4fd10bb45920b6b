"""A bare byte forwarder on trio: the floor of any trio proxy, as a baseline for ``bench_proxy``.

Child side (``python -m bench._forwarder HOST PORT [SCHEDULING]``): listens on a
free loopback port, prints its ``ws://`` URL on stdout, and passes the bytes of
each client connection to its own connection to ``HOST:PORT`` and back, unread: no
HTTP, no frame cutting, no checking, one task per direction, ``receive_some`` then
``send_all``, the smallest relay trio's streams allow.  The proxy does all that
and more, so the forwarder's rate and CPU per request show how much of the cost of
a third process is the relay itself and how much is the proxy's own work.  It is
scheduled as ``dmsproto proxy --scheduling SCHEDULING`` would be (default: the
proxy's default), so the two compare like for like.
"""

from __future__ import annotations

import sys

import trio

from dmsproto.proxy.scheduling import DEFAULT_POLICY, POLICIES, schedule_process

RECEIVE_SIZE = 65536


async def _pump(src: trio.SocketStream, dst: trio.SocketStream) -> None:
    try:
        while data := await src.receive_some(RECEIVE_SIZE):
            await dst.send_all(data)
    except (trio.BrokenResourceError, trio.ClosedResourceError):
        pass
    finally:
        await trio.aclose_forcefully(dst)


async def _relay(host: str, port: int, client: trio.SocketStream) -> None:
    upstream = await trio.open_tcp_stream(host, port)
    async with trio.open_nursery() as nursery:
        nursery.start_soon(_pump, client, upstream)
        nursery.start_soon(_pump, upstream, client)


async def _serve(host: str, port: int) -> None:
    listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
    print(f"ws://127.0.0.1:{listeners[0].socket.getsockname()[1]}/json_data", flush=True)
    await trio.serve_listeners(lambda client: _relay(host, port, client), listeners)


if __name__ == "__main__":
    asked = sys.argv[3] if len(sys.argv) > 3 else DEFAULT_POLICY
    policy = next((known for known in POLICIES if known == asked), None)
    if policy is None:
        sys.exit(f"scheduling must be one of {', '.join(POLICIES)}")
    schedule_process(policy)
    trio.run(_serve, sys.argv[1], int(sys.argv[2]))
