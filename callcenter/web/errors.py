"""Errors on pages are pages (in Chinese), not the API's problem+json."""

from __future__ import annotations

import logging

from aiohttp import web

from .render import render
from .session import Handler, is_page

log = logging.getLogger("zhitong.web")
TITLES = {400: "请求有误", 401: "请先登录", 403: "无权访问", 404: "页面不存在", 405: "不支持的操作", 413: "提交内容过大"}


@web.middleware
async def page_errors_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if not is_page(request.path):
        return await handler(request)
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        detail = exc.text if exc.text and not exc.text.startswith(f"{exc.status}:") else ""
        return render(request, "error.html", status=exc.status, title=TITLES.get(exc.status, "出错了"), detail=detail)
    except Exception:
        log.exception("page %s %s failed", request.method, request.path)
        return render(request, "error.html", status=500, title="系统出错", detail="请稍后重试；错误已记录。")
