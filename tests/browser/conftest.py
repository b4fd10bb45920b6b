"""Fixtures of the browser tests: the HMI's pages on a loopback origin of their own,
headless Chromium (``tests/support/browser.py``), and for TLS a CA that browser trusts."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import trio
import trustme

from dmsproto.sim.server import server_ssl_context
from dmsproto.sim.shacrypt import hash_password
from tests.support.browser import Browser, Page, PageServer, open_browser, trust_ca
from tests.support.pki import PASSWORD, USER

PAGES = Path(__file__).with_name("pages")


@dataclass(frozen=True)
class Tls:
    """A CA the browser of ``home`` trusts, a certificate from it for 127.0.0.1 (the
    DMS's, the proxy's and the pages'), and a users file with ``USER``."""

    home: Path
    ca_file: Path
    certificate: Path
    users: Path

    def credentials(self, url: str) -> str:
        """``url`` with the user's name and password in it (``wss://user:pw@host/...``)."""
        scheme, rest = url.split("://", 1)
        return f"{scheme}://{USER}:{PASSWORD}@{rest}"


@pytest.fixture
async def pages(nursery: trio.Nursery) -> PageServer:
    """``hmi.html`` and its scripts, served over plain HTTP from ``http://127.0.0.1:PORT``."""
    server: PageServer = await nursery.start(PageServer(PAGES).serve)
    return server


@pytest.fixture
async def browser(chromium: Path, tmp_path: Path) -> AsyncIterator[Browser]:
    """Headless Chromium with a fresh profile."""
    async with open_browser(chromium, tmp_path / "browser") as running:
        yield running


@pytest.fixture
async def hmi(browser: Browser, pages: PageServer) -> Page:
    """A tab showing the HMI page (its scripts loaded)."""
    page = await browser.new_page()
    await page.goto(pages.url())
    return page


@pytest.fixture
def tls(certutil: Path, tmp_path: Path) -> Tls:
    """The CA and files of TLS tests; the browser's home trusts the CA."""
    ca = trustme.CA()
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    certificate = tmp_path / "server.pem"
    ca.issue_cert("127.0.0.1").private_key_and_cert_chain_pem.write_to_path(str(certificate))
    users = tmp_path / "users.txt"
    users.write_text(f"{USER}:{hash_password(PASSWORD, scheme='sha256')}\n")
    home = tmp_path / "trusting-browser"
    trust_ca(certutil, home, ca_file)
    return Tls(home, ca_file, certificate, users)


@pytest.fixture
async def tls_browser(chromium: Path, tls: Tls) -> AsyncIterator[Browser]:
    """Headless Chromium that trusts the ``tls`` CA."""
    async with open_browser(chromium, tls.home) as running:
        yield running


@pytest.fixture
async def tls_hmi(tls_browser: Browser, tls: Tls, nursery: trio.Nursery) -> Page:
    """A tab showing the HMI page, which comes over https (so it may send credentials to
    a wss:// DMS on the same host: Chromium gives a WebSocket's 401 the credentials of
    its URL only when the page and the WebSocket are of one site, scheme included)."""
    server = await nursery.start(PageServer(PAGES, server_ssl_context(tls.certificate)).serve)
    page = await tls_browser.new_page()
    await page.goto(server.url())
    return page
