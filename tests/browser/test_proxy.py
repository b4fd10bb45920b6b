"""A web browser through ``dmsproto proxy`` (the command, as a developer of a web HMI
runs it, with ``--json`` and ``--record``) to ``dmsproto serve``.

Chromium offers permessage-deflate, sends an Origin header and masks its frames; its
conforming traffic passes without findings, and the requests a buggy page sends are
reported exactly, live and again by ``dmsproto validate`` from the recording.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from tests.browser.conftest import Tls
from tests.browser.test_websocket import WHOIS, check_tour
from tests.support.browser import Page
from tests.support.cli import WORKDIR
from tests.support.proxy_command import env, proxy_command, stop
from tests.support.serve_process import serving


async def proxied(tmp_path: Path, serve: list[str], proxy: list[str],
                  work: Callable[[str], Awaitable[int]]) -> list[dict[str, Any]]:
    """Run ``work(proxy URL)`` against ``dmsproto proxy PROXY`` in front of ``dmsproto
    serve SERVE``; every line the proxy printed (``--json``), its summary last.

    ``work`` returns how many WebSockets it opened: the proxy is stopped once it has
    seen them all closed (a handshake the DMS refused opens none).
    """
    with serving(tmp_path, "--tick", "0", *serve) as served:
        async with proxy_command("--listen", "127.0.0.1:0", "--upstream", served.url,
                                 "--json", *proxy) as (process, out, _):
            listening = json.loads(await out.line())
            opened = await work(listening["url"])
            while opened:
                line = json.loads(await out.line())
                opened -= line.get("event") == "close" and not line["text"].startswith(
                    "refused")
            await stop(process)
            return [json.loads(text) for text in [*out.seen, *(await out.rest()).splitlines()]]


def kinds(lines: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [line for line in lines if line["kind"] == kind]


def as_found(violations: list[dict[str, Any]]) -> Counter[tuple[Any, ...]]:
    return Counter((v["dir"], v["rule"], v["pointer"], v["message"]) for v in violations)


async def test_an_hmi_page_through_the_proxy(hmi: Page, tmp_path: Path) -> None:
    record = tmp_path / "hmi.jsonl"
    seen: dict[str, Any] = {}

    async def work(url: str) -> int:
        seen.update(tour=await hmi.apply("plantTour", url, WHOIS),
                    broken=await hmi.apply("brokenRequests", url),
                    too_large=await hmi.apply("tooLargeRequest", url))
        return 4  # the tour's two WebSockets, the broken requests' and the large one's

    lines = await proxied(tmp_path, [], ["--record", str(record)], work)
    check_tour(seen["tour"])
    # the DMS answers both broken requests with an error item, as the page saw
    assert seen["broken"]["numberPath"]["get"][0]["code"] == "error"
    assert seen["broken"]["unknownCommand"]["get"][0]["code"] == "error"

    # the DMS's fatal answer to a message over its limit: it closes (2.6)
    assert seen["too_large"] == {"code": 1009, "reason": "Message too big.", "wasClean": True}

    violations = kinds(lines, "violation")
    assert {(v["client"], v["dir"], v["rule"], v["pointer"]) for v in violations} == {
        ("c3", "send", "type", "/get/0/path"),
        ("c3", "send", "additionalProperties", "/frobnicate")}
    connections = kinds(lines, "connection")
    assert [c["event"] for c in connections].count("open") == 4
    assert {c["event"] for c in connections} == {"open", "close"}, connections
    assert [c["text"] for c in connections if c["client"] == "c4"][1:] == [
        "DMS closed with 1009 'Message too big.'"]  # its request answered so: no orphan
    summary = lines[-1]
    assert (summary["kind"], summary["errors"], summary["warnings"]) == ("summary", 2, 0)

    done = subprocess.run([sys.executable, "-m", "dmsproto", "validate", str(record),
                           "--format", "json"], capture_output=True, text=True, env=env(),
                          timeout=60, cwd=WORKDIR, stdin=subprocess.DEVNULL)
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)
    validated = [dict(example, rule=group["rule"]) for group in report["rules"]
                 for example in group["examples"]]
    assert as_found(validated) == as_found(violations)
    assert report["counts"] == summary["report"]["counts"]


async def test_an_hmi_page_over_wss_through_the_proxy_with_basic_auth(
        tls_hmi: Page, tls: Tls, tmp_path: Path) -> None:
    """https page, wss to the proxy, wss to a DMS that wants Basic auth: the DMS's 401
    reaches the browser through the proxy, and the browser's credentials the DMS."""
    seen: dict[str, Any] = {}

    async def work(url: str) -> int:
        assert url.startswith("wss://")
        seen.update(tour=await tls_hmi.apply("plantTour", tls.credentials(url), WHOIS))
        return 2

    lines = await proxied(
        tmp_path, ["--tls-cert", str(tls.certificate), "--users", str(tls.users)],
        ["--cafile", str(tls.ca_file), "--tls-cert", str(tls.certificate)], work)
    check_tour(seen["tour"])
    assert kinds(lines, "violation") == []
    events = Counter(c["event"] for c in kinds(lines, "connection"))
    assert events["upstream-refused"] >= 1  # the first handshake, without credentials
    assert set(events) == {"open", "close", "upstream-refused"}
    assert events["open"] == events["close"] == events["upstream-refused"] + 2
    assert (lines[-1]["errors"], lines[-1]["warnings"]) == (0, 0)
