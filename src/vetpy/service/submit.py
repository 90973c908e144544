"""Turning a request into a job: the index target check and the sha256 + model cache."""

from __future__ import annotations

from dataclasses import dataclass

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from vetpy.service.store import Job, JobStore
from vetpy.service.uploads import Upload


class TargetError(ValueError):
    """A JSON target that is not ``name`` or ``name==version``."""


def index_target(raw: object) -> str:
    """``name==version`` (or ``name``) as the worker will fetch it from the configured index.

    Anything else is refused: a path, a URL, extras, markers or a range would let a caller make the
    service read local files or fetch from elsewhere.
    """
    if not isinstance(raw, str) or not raw.strip() or len(raw) > 300:
        raise TargetError("'target' must be a string 'name==version'")
    text = raw.strip()
    try:
        requirement = Requirement(text)
    except InvalidRequirement:
        raise TargetError("'target' must be 'name==version' (a package on the configured index)") from None
    if requirement.url or requirement.marker or requirement.extras:
        raise TargetError("'target' must be 'name==version': no URL, extras or markers")
    specs = list(requirement.specifier)
    name = canonicalize_name(requirement.name)
    if not specs:
        return name
    if len(specs) != 1 or specs[0].operator != "==" or "*" in specs[0].version:
        raise TargetError("'target' must pin one exact version with '=='")
    return f"{name}=={specs[0].version}"


@dataclass(frozen=True)
class Submitted:
    """The job a request became, and whether it was an earlier job answered again."""

    job: Job
    cached: bool


def submit_upload(store: JobStore, upload: Upload, model: str) -> Submitted:
    """A job for a stored upload; an earlier job for the same archive and model answers instead."""
    earlier = store.cached(upload.sha256, model)
    if earlier is not None:
        return Submitted(earlier, cached=True)
    job = store.add("upload", str(upload.path), upload.filename, upload.sha256, model)
    return Submitted(job, cached=False)


def submit_target(store: JobStore, target: str, model: str) -> Submitted:
    """A job to fetch ``target`` from the configured index and scan it."""
    return Submitted(store.add("index", target, target, None, model), cached=False)
