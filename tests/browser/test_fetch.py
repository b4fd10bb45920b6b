"""HTTP POST from a web page with ``fetch()``, to ``dmsproto serve`` and through
``dmsproto proxy``: what a browser does across origins (CORS), and what the DMS does.

The DMS's answers carry no CORS headers (its document shows none, and says nothing of
CORS), and it answers every method but POST on ``/json_data`` with 405 (2.6.1); the
simulator does the same. So, as against a DMS:

- a page of the DMS's own origin (one server gives the HMI and ``/json_data``) posts
  and reads its answers;
- a page of another origin cannot post JSON: the browser first asks with a preflight
  (``OPTIONS``), the 405 without ``Access-Control-Allow-Origin`` refuses it, and the
  POST is never sent;
- a "simple" POST of another origin (``text/plain``, no preflight) is sent and carried
  out, but the browser keeps its answer from the page.

The proxy forwards the preflight and its answer unchanged, so a page sees the same
through the proxy as without it.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dmsproto
from tests.browser.conftest import PAGES
from tests.browser.test_websocket import PLANT, WHOIS
from tests.support.browser import Browser, Page, PageServer
from tests.support.proxy import STEP
from tests.support.proxy_command import proxy_command, stop
from tests.support.serve_process import serving

SETPOINT = "Plant:HC2:TempFlowSet"
ORIGINAL = PLANT[SETPOINT]["value"]


def write(value: float) -> str:
    return json.dumps({"whois": WHOIS, "user": "",
                       "set": [{"path": SETPOINT, "value": value}]})


@dataclass
class Chain:
    """``dmsproto serve`` and ``dmsproto proxy --json`` in front of it."""

    dms: str
    """The simulator's ``http://.../json_data``."""
    proxy: str
    """The proxy's."""
    summary: dict[str, Any] | None = None
    """The proxy's summary, once it stopped."""

    async def setpoint(self) -> Any:
        """The setpoint's value, read from the simulator by our own client."""
        async with dmsproto.connect(self.dms, timeout=STEP) as dms:
            return (await dms.get(SETPOINT)).value


@asynccontextmanager
async def chain(tmp_path: Path) -> AsyncIterator[Chain]:
    with serving(tmp_path, "--tick", "0") as served:
        async with proxy_command("--listen", "127.0.0.1:0", "--upstream", served.url,
                                 "--json") as (process, out, _):
            listening = json.loads(await out.line())
            running = Chain(served.http_url, listening["http_url"])
            yield running
            await stop(process)
            running.summary = json.loads((await out.rest()).splitlines()[-1])


async def test_a_page_of_the_dms_origin_posts_and_reads_the_answer(
        browser: Browser, tmp_path: Path) -> None:
    page = await browser.new_page()
    await page.preload(PAGES / "scenario.js")
    async with chain(tmp_path) as dms:
        for url, value in ((dms.dms, 46.5), (dms.proxy, 47.5)):
            await page.goto(url)  # the DMS's (or the proxy's) 405 page, of its origin
            assert await page.run("return document.body.textContent") == "Use POST requests."
            answer = await page.apply("post", "/json_data", write(value), "application/json")
            assert answer["status"] == 200, answer
            assert json.loads(answer["body"])["set"][0]["value"] == value
            assert await dms.setpoint() == value
            assert [(e.method, e.kind) for e in page.exchanges(url)] == [
                ("GET", "Document"), ("POST", "Fetch")]  # no preflight
    assert dms.summary is not None
    assert (dms.summary["errors"], dms.summary["warnings"]) == (0, 0)
    assert dms.summary["report"]["counts"] == {"send": {"set": 1}, "recv": {"set": 1}}


async def test_a_page_of_another_origin_cannot_post_json(
        hmi: Page, pages: PageServer, tmp_path: Path) -> None:
    preflights = []
    async with chain(tmp_path) as dms:
        for url in (dms.dms, dms.proxy):
            answer = await hmi.apply("post", url, write(46.5), "application/json")
            assert answer == {"error": "TypeError: Failed to fetch"}
            sent = {exchange.method: exchange for exchange in hmi.exchanges(url)}
            assert sorted(sent) == ["OPTIONS", "POST"]
            preflight, refused = sent["OPTIONS"], sent["POST"]
            assert (preflight.method, preflight.kind, preflight.status) == (
                "OPTIONS", "Preflight", 405)
            assert preflight.request_headers["Origin"] == pages.origin
            assert preflight.request_headers["Access-Control-Request-Method"] == "POST"
            assert (refused.method, refused.error, refused.cors_error) == (
                "POST", "net::ERR_FAILED", "PreflightMissingAllowOriginHeader")
            preflights.append(preflight.headers)
            assert await dms.setpoint() == ORIGINAL  # the POST never reached the DMS
    direct, proxied = preflights
    assert direct == proxied == {"Allow": "POST", "Content-Length": "18",
                                 "Content-Type": "text/plain;charset=UTF-8",
                                 "Server": "dmsproto-sim (ProMoS DMS/1.0)"}
    assert any("Response to preflight request doesn't pass access control check" in line
               for line in hmi.console())
    assert dms.summary is not None and dms.summary["report"]["messages"] == 0


async def test_a_simple_post_of_another_origin_is_carried_out_but_not_read(
        hmi: Page, tmp_path: Path) -> None:
    """``text/plain`` makes a "simple" request: no preflight. The DMS reads the body as
    JSON whatever its type (as every DMS client's body is), so the write happens; the
    browser only keeps the answer from the page."""
    async with chain(tmp_path) as dms:
        for url, value in ((dms.dms, 46.5), (dms.proxy, 47.5)):
            answer = await hmi.apply("post", url, write(value), "text/plain;charset=UTF-8")
            assert answer == {"error": "TypeError: Failed to fetch"}
            [sent] = hmi.exchanges(url)
            assert (sent.method, sent.status, sent.cors_error) == (
                "POST", 200, "MissingAllowOriginHeader")
            assert await dms.setpoint() == value
    assert dms.summary is not None
    assert (dms.summary["errors"], dms.summary["warnings"]) == (0, 0)
    assert dms.summary["report"]["counts"] == {"send": {"set": 1}, "recv": {"set": 1}}
