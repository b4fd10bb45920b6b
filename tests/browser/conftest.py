"""Fixtures of the browser tests: the HMI's pages on a loopback origin of their own, and
headless Chromium (``tests/support/browser.py``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import trio

from tests.support.browser import Browser, Page, PageServer, open_browser

PAGES = Path(__file__).with_name("pages")


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
