"""Headless Chromium for the demo page: the system's browser driven by Playwright, kept on this machine.

Uses the distribution's ``chromium`` (``apt-get install chromium``; Playwright downloads no
browser here) with a fresh profile. Every request to a host other than the page's own is
aborted and recorded, so a page that phones home (fonts, analytics) shows up as ``outside``.
"""
from __future__ import annotations

import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator
from urllib.parse import urlsplit

CHROMIUM_FLAGS = ('--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
                  '--disable-background-networking', '--disable-component-update', '--disable-sync')
CHROMIUM_NAMES = ('chromium', 'chromium-browser', 'google-chrome')


def find_chromium() -> str:
    """The system Chromium's path, else a RuntimeError saying how to install it."""
    for name in CHROMIUM_NAMES:
        path = shutil.which(name)
        if path:
            return path
    raise RuntimeError('chromium: no system Chromium on PATH (looked for '
                       f'{", ".join(CHROMIUM_NAMES)}); install it: apt-get install chromium')


class Browser:
    """A headless page and the outside requests it tried (aborted)."""

    def __init__(self, page, outside: list[str]) -> None:
        self.page = page
        self.outside = outside


@contextmanager
def headless_page(local_host: str = '127.0.0.1', *, width: int = 1280, height: int = 900) -> Iterator[Browser]:
    """A page of a fresh headless Chromium that reaches ``local_host`` (and localhost) only."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as error:
        raise ImportError(f'the browser driver needs playwright: pip install -e ".[test]" ({error})') from None
    executable = find_chromium()
    allowed = {local_host, '127.0.0.1', 'localhost', '[::1]', '::1'}
    outside: list[str] = []

    def route(request_route) -> None:
        url = request_route.request.url
        if urlsplit(url).hostname in allowed:
            request_route.continue_()
        else:
            outside.append(url)
            request_route.abort()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=list(CHROMIUM_FLAGS))
        try:
            context = browser.new_context(viewport=dict(width=width, height=height))
            context.route('**/*', route)
            yield Browser(context.new_page(), outside)
        finally:
            browser.close()


def screenshot(url: str, out: str | Path, *, image: str | Path, run_front: bool = True, width: int = 1100) -> Path:
    """A full-page PNG of the demo at ``url`` after it drew ``image`` (and every front stitch).

    Raises:
        RuntimeError: The page showed a message instead of a prediction, or fetched from outside.
    """
    with headless_page(width=width) as browser:
        page = browser.page
        page.goto(url)
        page.wait_for_selector('#budget input[type=range]')
        page.set_input_files('#image-in input[type=file]', str(image))
        try:
            page.wait_for_function('document.querySelector("#info").innerText.includes("this request")',
                                   timeout=120000)
        except Exception as error:  # noqa: BLE001 (Playwright's timeout; the page's message says why)
            raise RuntimeError(f'screenshot: no prediction; the page says {page.inner_text("#message")!r}') from error
        if run_front:
            page.click('#run-front')
            page.wait_for_function('document.querySelector("#front-gallery").innerText.includes("ms forward")',
                                   timeout=120000)
        page.wait_for_timeout(500)  # the plot's and pictures' last paint
        page.screenshot(path=str(out), full_page=True)
        if browser.outside:
            raise RuntimeError(f'screenshot: the page fetched from outside this machine: {browser.outside[:3]}')
    return Path(out)
