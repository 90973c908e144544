"""The HTTP API (``/v1/...`` and ``/metrics``); every route but ``/v1/health`` needs a bearer token."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from vetpy import __version__
from vetpy.service.auth import allowed, bearer
from vetpy.service.context import Service
from vetpy.service.metrics import CONTENT_TYPE
from vetpy.service.store import Label
from vetpy.service.submit import Submitted, TargetError, index_target, submit_target, submit_upload
from vetpy.service.uploads import UploadError, receive_upload

_SCAN_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                    "required": ["file"],
                }
            },
            "application/json": {
                "schema": {
                    "type": "object",
                    "properties": {"target": {"type": "string", "example": "name==1.0"}},
                    "required": ["target"],
                }
            },
        },
    }
}


def service(request: Request) -> Service:
    found: Service = request.app.state.service
    return found


def require_token(request: Request) -> None:
    """A dependency: 401 unless the request carries one of the service's tokens."""
    svc = service(request)
    if not allowed(svc.settings.tokens, bearer(request.headers.get("authorization"))):
        svc.metrics.rejected.labels(reason="unauthorized").inc()
        raise HTTPException(401, "missing or wrong bearer token", headers={"WWW-Authenticate": "Bearer"})


Authorized = Annotated[None, Depends(require_token)]
router = APIRouter()


class Health(BaseModel):
    status: Literal["ok"]
    version: str
    model: str


class LabelBody(BaseModel):
    label: Label


@router.get("/v1/health", response_model=Health, tags=["service"])
def health(request: Request) -> Health:
    """Liveness, vetpy's version and the model scans use (no token needed)."""
    return Health(status="ok", version=__version__, model=service(request).model_id)


@router.post("/v1/scans", status_code=202, tags=["scans"], openapi_extra=_SCAN_BODY)
async def create_scan(request: Request, _auth: Authorized) -> JSONResponse:
    """Queue a scan: a multipart upload (field ``file``) or JSON ``{"target": "name==version"}``.

    Answers 202 with the job; when this archive was already scanned with this model, the earlier job
    (``"cached": true``, with its result when it has one).
    """
    svc = service(request)
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        submitted = await _upload(request, svc, content_type)
    elif content_type.startswith("application/json"):
        submitted = await _target(request, svc)
    else:
        raise HTTPException(415, "send multipart/form-data (field 'file') or application/json {'target'}")
    svc.metrics.submitted.labels(kind=submitted.job.kind).inc()
    if submitted.cached:
        svc.metrics.cached.inc()
    else:
        svc.dispatcher.wake()
    body = {**submitted.job.to_dict(), "cached": submitted.cached}
    return JSONResponse(body, status_code=202)


async def _upload(request: Request, svc: Service, content_type: str) -> Submitted:
    try:
        upload = await receive_upload(
            request.stream(),
            content_type,
            request.headers.get("content-length"),
            svc.settings.uploads,
            svc.settings.max_upload_bytes,
        )
    except UploadError as exc:
        svc.metrics.rejected.labels(reason="too_large" if exc.status == 413 else "bad_upload").inc()
        raise HTTPException(exc.status, str(exc)) from None
    return await run_in_threadpool(submit_upload, svc.store, upload, svc.model_id)


async def _target(request: Request, svc: Service) -> Submitted:
    body = await request.body()
    if len(body) > 4096:
        raise HTTPException(413, "JSON body too large")
    try:
        data = json.loads(body)
        target = index_target(data.get("target") if isinstance(data, dict) else None)
    except (ValueError, TargetError) as exc:
        svc.metrics.rejected.labels(reason="bad_target").inc()
        message = str(exc) if isinstance(exc, TargetError) else "the body is not JSON"
        raise HTTPException(422, message) from None
    return await run_in_threadpool(submit_target, svc.store, target, svc.model_id)


@router.get("/v1/scans/{job_id}", tags=["scans"])
def get_scan(job_id: str, request: Request, _auth: Authorized) -> dict[str, Any]:
    """The job: ``status`` (queued, running, done, failed) and ``result`` (the JSON result, or null)."""
    job = service(request).store.get(job_id)
    if job is None:
        raise HTTPException(404, "no such scan")
    return job.to_dict()


@router.get("/v1/triage", tags=["triage"])
def triage(
    request: Request,
    _auth: Authorized,
    verdict: Annotated[Literal["malicious", "error", "benign", "any"], Query()] = "malicious",
    name: Annotated[str, Query(max_length=200)] = "",
    min_score: Annotated[float, Query(ge=0, le=1)] = 0.0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> dict[str, Any]:
    """Finished scans for the triage page, newest first, filtered by verdict, name and lowest score."""
    jobs = service(request).store.flagged(None if verdict == "any" else verdict, name, min_score, limit)
    return {"items": [{**job.to_dict(), "target": job.label} for job in jobs]}


@router.post("/v1/scans/{job_id}/label", tags=["triage"])
def set_label(job_id: str, body: LabelBody, request: Request, _auth: Authorized) -> dict[str, Any]:
    """Store a person's label for a finished scan: ``malicious`` (confirmed) or ``benign`` (false alarm)."""
    store = service(request).store
    if not store.set_label(job_id, body.label):
        job = store.get(job_id)
        if job is None:
            raise HTTPException(404, "no such scan")
        raise HTTPException(409, "the scan has not finished yet")
    return {"id": job_id, "label": body.label.value}


@router.get("/metrics", tags=["service"], response_class=Response)
def metrics(request: Request, _auth: Authorized) -> Response:
    """Prometheus metrics, text format."""
    return Response(service(request).metrics.render(), media_type=CONTENT_TYPE)
