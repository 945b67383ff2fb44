"""Signing in for browser tests that must not race the login's redirect."""

from __future__ import annotations

from playwright.async_api import Page

from tests.browser import Site


async def login(site: Site, username: str) -> Page:
    """Signed in for sure: under load the login's redirect can still be on its way when
    `site.login` returns, and the next navigation would then find no session yet."""
    page = await site.login(username)
    await page.wait_for_url(lambda url: "/login" not in url)
    return page
