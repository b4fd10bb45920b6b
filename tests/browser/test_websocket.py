"""A web browser's WebSocket against ``dmsproto serve``: headless Chromium runs an HMI
page's scenario (``pages/scenario.js``) over ``ws://`` and over ``wss://`` with Basic
auth, and what the page saw is checked against the demo plant."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import trustme

from dmsproto.sim.plant import load_plant
from dmsproto.sim.server import Simulator, server_ssl_context
from tests.browser.conftest import Tls
from tests.support.browser import Page
from tests.support.serve_process import serving

PLANT = dict(load_plant().points)
"""The demo plant's datapoints: path -> specification (value, type, unit, ...)."""
WHOIS = "browser-hmi"


def check_tour(seen: dict[str, Any]) -> None:
    """What ``plantTour`` saw is what the demo plant and the writes make of it."""
    # permessage-deflate was offered (Chromium always does) and not taken, as by a DMS
    assert (seen["extensions"], seen["protocol"]) == ("", "")
    flow, hours = seen["get"]["get"]
    underfloor = PLANT["Plant:HC3:TempFlowSet"]
    assert (flow["code"], flow["path"], flow["value"], flow["type"]) == (
        "ok", "Plant:HC3:TempFlowSet", underfloor["value"], underfloor["type"])
    run_hours = PLANT["Plant:HC1:Pump:RunHours"]
    assert (hours["value"], hours["type"], hours["extInfos"]) == (
        run_hours["value"], run_hours["type"],
        {"unit": run_hours["unit"], "accType": run_hours["accType"]})
    assert PLANT["Plant:HC1:TempFlowSet"]["value"] != 47.5  # the write changes it
    assert [(i["code"], i["value"]) for i in seen["set"]["set"]] == [("ok", 47.5)]
    assert [(i["code"], i["value"]) for i in seen["reread"]["get"]] == [("ok", 47.5)]
    assert [(i["code"], i["tag"], i["value"]) for i in seen["subscribe"]["subscribe"]] == [
        ("ok", "setpoint", 47.5)]
    event = seen["event"]
    assert (event["code"], event["path"], event["value"], event["trigger"], event["tag"]) == (
        "onChange", "Plant:HC1:TempFlowSet", 48, f"{WHOIS}-tab2", "setpoint")
    assert [(i["code"], i["tag"]) for i in seen["unsubscribe"]["unsubscribe"]] == [
        ("ok", "setpoint")]
    assert seen["last"]["get"][0]["value"] == 49
    assert seen["eventsAfterUnsubscribe"] == 0
    assert seen["long"] == {"items": 2000, "ok": 2000, "tags": True}
    assert seen["tabClose"] == {"code": 1000, "reason": "tab closed", "wasClean": True}
    assert seen["close"] == {"code": 1000, "reason": "HMI closed", "wasClean": True}


async def test_an_hmi_page_over_ws(hmi: Page, tmp_path: Path) -> None:
    with serving(tmp_path, "--tick", "0") as served:
        seen = await hmi.apply("plantTour", served.url, WHOIS)
    check_tour(seen)
    assert hmi.console() == []


async def test_an_hmi_page_over_wss_with_basic_auth(tls_hmi: Page, tls: Tls,
                                                    tmp_path: Path) -> None:
    """The DMS's certificate comes from a CA the browser trusts (imported as a user
    does); Chromium answers the DMS's 401 with the credentials of the WebSocket URL."""
    stranger = trustme.CA().issue_cert("127.0.0.1")  # from a CA the browser does not trust
    stranger_pem = tmp_path / "stranger.pem"
    stranger.private_key_and_cert_chain_pem.write_to_path(str(stranger_pem))
    untrusted = Simulator(ssl_context=server_ssl_context(stranger_pem), tick_interval=None)
    with serving(tmp_path, "--tick", "0", "--tls-cert", str(tls.certificate),
                 "--users", str(tls.users)) as served:
        assert served.url.startswith("wss://")
        seen = await tls_hmi.apply("plantTour", tls.credentials(served.url), WHOIS)
        async with untrusted:
            refused = await tls_hmi.run(f"""
                try {{ await DmsSocket.open({untrusted.url!r}); return "opened"; }}
                catch (error) {{ return error.message; }}""")
    check_tour(seen)
    assert refused.startswith("not opened: close 1006")
    assert any("ERR_CERT_AUTHORITY_INVALID" in line for line in tls_hmi.console())
