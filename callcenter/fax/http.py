"""HTTP: received faxes for agents and supervisors (the list, and each fax's PDF and page images)."""

from __future__ import annotations

from aiohttp import web

from callcenter.auth.http import require_roles
from callcenter.blobs.download import send_blob
from callcenter.blobs.keys import BLOBS
from callcenter.http.json_body import json_response, path_int, query_int
from callcenter.http.problems import NotFound
from callcenter.keys import FAXES
from worksheet.errors import ValidationError
from worksheet.model import Role

from .receipts import STATUSES, FaxReceipt

routes = web.RouteTableDef()
_READERS = (Role.AGENT, Role.SUPERVISOR, Role.ADMIN)


@routes.get("/api/v1/faxes")
async def list_faxes(request: web.Request) -> web.Response:
    require_roles(request, *_READERS)
    status = request.query.get("status") or None
    if status is not None and status not in STATUSES:
        raise ValidationError(f"status must be one of {', '.join(STATUSES)}")
    limit, offset = query_int(request, "limit", 100, 1, 500), query_int(request, "offset", 0, 0, 10**9)
    items = await request.app[FAXES].receipts.list(status=status, limit=limit, offset=offset)
    return json_response({"items": [r.to_json() for r in items], "limit": limit, "offset": offset})


async def _receipt(request: web.Request) -> FaxReceipt:
    require_roles(request, *_READERS)
    fax_id = path_int(request, "fax_id")
    receipt = await request.app[FAXES].receipts.get(fax_id) if fax_id is not None else None
    if receipt is None:
        raise NotFound(f"no fax {request.match_info['fax_id'][:40]}", error_id="fax-not-found")
    return receipt


@routes.get("/api/v1/faxes/{fax_id}")
async def get_fax(request: web.Request) -> web.Response:
    return json_response((await _receipt(request)).to_json())


async def _document(request: web.Request, receipt: FaxReceipt, blob_id: str | None) -> web.StreamResponse:
    if blob_id is None:
        raise NotFound(f"fax {receipt.id} has no stored document ({receipt.status})", error_id="fax-not-stored")
    blob, opened = await request.app[BLOBS].open_blob(blob_id)
    return await send_blob(request, blob, opened)


@routes.get("/api/v1/faxes/{fax_id}/document.pdf")
async def fax_pdf(request: web.Request) -> web.StreamResponse:
    receipt = await _receipt(request)
    return await _document(request, receipt, (receipt.documents or {}).get("pdf"))


@routes.get("/api/v1/faxes/{fax_id}/pages/{page}.png")
async def fax_page(request: web.Request) -> web.StreamResponse:
    receipt = await _receipt(request)
    page = path_int(request, "page")
    pages = (receipt.documents or {}).get("pages") or []
    if page is None or not 1 <= page <= receipt.pages:
        raise NotFound(f"fax {receipt.id} has pages 1–{receipt.pages}", error_id="fax-page-not-found")
    return await _document(request, receipt, pages[page - 1] if page <= len(pages) else None)
