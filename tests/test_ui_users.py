"""用户管理 in Chromium: an administrator edits a user and resets a password; a user changes their
own password from the header. Screenshots at 1024 and 1366 px."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Page

from callcenter.keys import AUDIT, AUTH
from tests.api_helpers import PASSWORD
from tests.browser import Site, screenshot, start_site

WIDTHS = (1024, 1366)


@pytest.fixture
async def site(db_url: str) -> AsyncIterator[Site]:
    async for value in start_site(db_url):
        await value.app[AUTH].add_user("root", PASSWORD, "admin")
        yield value


async def shots(page: Page, name: str) -> None:
    for width in WIDTHS:
        await page.set_viewport_size({"width": width, "height": 900})
        await screenshot(page, f"{name}-{width}")
        overflow = await page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{name} scrolls sideways at {width} px"


async def test_an_admin_edits_a_user_keeping_the_form_on_an_error(site: Site) -> None:
    admin = await site.login("root")
    agent = await site.login("agent")
    await admin.goto(site.url("/admin/users"))
    await shots(admin, "users-list")
    # Adding a unit handler without a unit: refused in Chinese, and the form keeps what was typed.
    await admin.fill("input[name=username]", "gxj")
    await admin.fill("input[name=display_name]", "王工")
    await admin.fill("input[name=password]", "another-long-password")
    await admin.select_option("select[name=role]", "unit_handler")
    await admin.click("form.draft-form button[type=submit]")
    assert await admin.inner_text(".flash.error") == "未能添加用户：承办单位用户必须选择一个已有的单位"
    assert (await admin.input_value("input[name=username]"), await admin.input_value("input[name=display_name]"),
            await admin.input_value("select[name=role]")) == ("gxj", "王工", "unit_handler")
    await admin.click("tr[data-user=agent] a.edit")
    await admin.wait_for_url("**/admin/users/agent")
    await admin.fill("#edit-user input[name=display_name]", "李娜")
    await admin.select_option("#edit-user select[name=role]", "unit_handler")  # but no unit chosen
    await admin.click("#edit-user button[type=submit]")
    error = await admin.inner_text(".flash.error")
    assert "承办单位用户必须选择一个已有的单位" in error and "unit" not in error
    assert await admin.input_value("#edit-user input[name=display_name]") == "李娜"  # what was typed stays
    assert await admin.input_value("#edit-user select[name=role]") == "unit_handler"
    await admin.select_option("#edit-user select[name=unit]", site.units["区住建局"])
    await admin.click("#edit-user button[type=submit]")
    assert "已保存（该用户需重新登录）" in await admin.inner_text(".flash")
    await shots(admin, "user-edit")
    await agent.goto(site.url("/agent"))
    assert "/login" in agent.url  # the role changed: the old session ended
    await admin.goto(site.url("/admin/users"))
    row = await admin.inner_text("tr[data-user=agent]")
    assert "李娜" in row and "承办单位" in row and "区住建局" in row
    # The last admin cannot demote themselves.
    await admin.goto(site.url("/admin/users/root"))
    await admin.select_option("#edit-user select[name=role]", "supervisor")
    await admin.click("#edit-user button[type=submit]")
    assert "最后一位" in await admin.inner_text(".flash.error")
    assert await admin.input_value("#edit-user select[name=role]") == "supervisor"


async def test_an_admin_resets_a_password(site: Site) -> None:
    admin = await site.login("root")
    agent = await site.login("agent")
    await admin.goto(site.url("/admin/users/agent"))
    await admin.fill("#reset-password input[name=password]", "reset-by-admin-1")
    await admin.fill("#reset-password input[name=password_again]", "reset-by-admin-2")
    await admin.click("#reset-password button[type=submit]")
    assert "两次输入的新密码不一致" in await admin.inner_text(".flash.error")
    await admin.fill("#reset-password input[name=password]", "reset-by-admin-1")
    await admin.fill("#reset-password input[name=password_again]", "reset-by-admin-1")
    await admin.click("#reset-password button[type=submit]")
    assert "原有登录已全部失效" in await admin.inner_text(".flash")
    await agent.goto(site.url("/agent"))
    assert "/login" in agent.url
    audit = await site.app[AUDIT].list(subject="agent")
    assert audit[0]["action"] == "user-password" and audit[0]["actor"] == "root"


async def submit_password(page: Page, current: str, new: str) -> str:
    await page.fill("input[name=current]", current)
    await page.fill("input[name=password]", new)
    await page.fill("input[name=password_again]", new)
    await page.click("#own-password button[type=submit]")
    return await page.inner_text(".flash")


async def test_a_user_changes_their_own_password_from_the_header(site: Site) -> None:
    page = await site.login("boss")
    elsewhere = await site.login("boss")
    await page.click("header a.own-password")
    await page.wait_for_url("**/account/password")
    await shots(page, "own-password")
    assert "当前密码不正确" in await submit_password(page, "not-my-password", "my-new-password-1")
    await page.evaluate("document.querySelectorAll('input[minlength]').forEach(i => i.removeAttribute('minlength'))")
    assert "密码至少需要 10 位" in await submit_password(page, PASSWORD, "short")
    assert "密码已修改" in await submit_password(page, PASSWORD, "my-new-password-1")
    await page.goto(site.url("/supervisor"))
    assert page.url.endswith("/supervisor")  # this browser stays signed in
    await elsewhere.goto(site.url("/supervisor"))
    assert "/login" in elsewhere.url  # the other one does not
    await elsewhere.fill("input[name=username]", "boss")
    await elsewhere.fill("input[name=password]", "my-new-password-1")
    await elsewhere.click("button[type=submit]")
    await elsewhere.wait_for_url("**/supervisor")
