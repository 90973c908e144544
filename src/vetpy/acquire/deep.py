"""``--deep``: add every dependency pip would install for the index targets, as more targets to scan."""

from __future__ import annotations

from collections.abc import Sequence

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from vetpy.acquire.index import Artifact, IndexClient
from vetpy.acquire.resolve import resolve
from vetpy.acquire.targets import Target
from vetpy.errors import VetpyError
from vetpy.redact import redact


def expand(
    targets: Sequence[Target], client: IndexClient, artifact: Artifact = Artifact.AUTO
) -> list[Target]:
    """Targets for the dependencies of the index releases among ``targets`` (not the targets themselves),
    and one ``error`` target for each thing that could not be resolved."""
    roots: dict[str, Requirement] = {}
    for target in targets:
        if target.release is not None:
            name = str(canonicalize_name(target.release.name))
            roots.setdefault(name, Requirement(f"{name}=={target.release.version}"))
    if not roots:
        return []
    try:
        resolution = resolve(client, list(roots.values()))
    except VetpyError as exc:
        return [Target("--deep", skipped=redact(f"error: {exc}"))]
    added: list[Target] = []
    for pin in resolution.pins:
        if pin.name in roots:
            continue
        label = f"{pin.name}=={pin.version}"
        why = f"dependency of {', '.join(pin.required_by) or 'the targets'}"
        try:
            selection = client.choose(Requirement(label), artifact)
        except VetpyError as exc:
            added.append(Target(label, skipped=redact(f"error: {exc}")))
            continue
        notes = "; ".join((why, *selection.notes))
        added.extend(Target(label, release=release, warning=notes) for release in selection.files)
    for message in resolution.unresolved:
        added.append(Target("--deep", skipped=f"error: {message}"))
    return added
