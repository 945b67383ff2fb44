"""Errors on pages are pages (in Chinese), not the API's problem+json.

A typed error that reaches here (bad characters refused by the request hygiene, a validation
error a page did not catch itself) keeps the status the API would give it; the page names the
kind of problem and the error's Chinese message (callcenter/web/messages.py), never the English detail.
"""

from __future__ import annotations

import logging
import re

from aiohttp import web

from callcenter.http.disconnect import gone_response, went_away
from callcenter.http.problems import status_for

from .messages import user_message
from .render import render
from .session import Handler, is_page

log = logging.getLogger("zhitong.web")
_CHINESE = re.compile("[\u4e00-\u9fff]")
TITLES = {400: "请求有误", 401: "请先登录", 403: "无权访问", 404: "页面不存在", 405: "不支持的操作", 409: "操作冲突",
          413: "提交内容过大", 415: "不支持的文件类型", 422: "填写有误", 429: "操作过于频繁"}
# An HTTP error of aiohttp's own (English text) on a page: its status's explanation.
DETAILS = {400: "请求中含有无法处理的内容（例如不可见的控制字符），请检查后重试。", 404: "没有找到，或您无权查看。",
           409: "内容已被他人更新或当前状态不允许此操作，请刷新页面后重试。",
           413: "提交的内容超过了大小限制。", 415: "只接受 PDF、图片、录音、Word/Excel 文档或 OFD 文件。",
           422: "提交的内容不符合要求，请检查后重试。", 429: "请稍后再试。"}


@web.middleware
async def page_errors_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if not is_page(request.path):
        return await handler(request)
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        # Our views raise with Chinese text; aiohttp's own (e.g. a body over the size limit) is English.
        detail = exc.text if exc.text and _CHINESE.search(exc.text) else DETAILS.get(exc.status, "")
        return render(request, "error.html", status=exc.status, title=TITLES.get(exc.status, "出错了"), detail=detail)
    except Exception as exc:
        if went_away(request, exc):
            return gone_response(request)
        status = status_for(exc)
        if status is None:
            log.exception("page %s %s failed", request.method, request.path)
            return render(request, "error.html", status=500, title="系统出错", detail="请稍后重试；错误已记录。")
        return render(request, "error.html", status=status, title=TITLES.get(status, "出错了"),
                      detail=user_message(exc))
