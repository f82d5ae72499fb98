"""Putting a form on Central and people on it: project, form version, media, app user.

:func:`publish` is idempotent:

- the project is found by name, or made;
- the form (its ``xmlFormId`` given by the caller) is made and published; if it
  exists with the same version it is reused as it is; with another version, a
  draft is made from the new XLSForm, its media uploaded, and published *as
  that version*: phones still on the old version keep submitting to it, and
  each submission says which version it answered;
- a form left as a draft only (an earlier push that failed half-way) is
  finished: the draft is replaced and published;
- Central refuses to publish a version string twice in a project; asking for a
  version the form already had is a clear error;
- XLSForm warnings (400.16) stop the push unless ``accept_warnings``: nothing is
  changed on the server then;
- the app user (Collect's login) is found by name, or made, and given access to
  the form.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from coprod_connectors import ConfigError
from coprod_odk.client import CentralClient
from coprod_odk.models import AppUser, Form, Project


@dataclass(frozen=True)
class Media:
    """A file the form shows (a picture or a sound), by the name the form uses."""

    name: str
    content: bytes
    media_type: str


@dataclass(frozen=True)
class Published:
    """What :func:`publish` left on the server."""

    project: Project
    form: Form
    app_user: AppUser
    #: the form's published versions, newest first
    versions: tuple[str, ...]
    #: ``created``, ``reused`` or ``new version``
    action: str
    #: media the form names that were not given (the form still works without them)
    missing_media: tuple[str, ...] = field(default=())


def publish(
    client: CentralClient,
    *,
    project_name: str,
    form_id: str,
    version: str,
    xlsx: bytes,
    media: Sequence[Media] = (),
    app_user_name: str,
    accept_warnings: bool = False,
) -> Published:
    """Make sure ``form_id`` is published at ``version`` in ``project_name`` with an app user."""
    project = client.ensure_project(project_name)
    existing = client.find_form(project.id, form_id)
    missing: tuple[str, ...] = ()
    if existing is None:
        action = "created"
        client.create_form(
            project.id, xlsx, form_id=form_id, publish=False, ignore_warnings=accept_warnings
        )
        missing = _upload_media(client, project.id, form_id, media)
        client.publish_draft(project.id, form_id)
    elif existing.published and existing.version == version:
        action = "reused"
    else:
        published = [v.version for v in client.versions(project.id, form_id)]
        if version in published:
            msg = (
                f"form {form_id!r} in project {project_name!r} already had version {version} "
                f"(it is now at {existing.version}); Central publishes a version only once"
            )
            raise ConfigError(msg, hint="give the instrument a new version number and push it")
        action = "new version" if existing.published else "created"
        client.create_draft(project.id, form_id, xlsx, ignore_warnings=accept_warnings)
        missing = _upload_media(client, project.id, form_id, media)
        client.publish_draft(project.id, form_id, version)
    form = client.form(project.id, form_id)
    versions = tuple(v.version for v in client.versions(project.id, form_id))
    app_user = client.ensure_app_user(project.id, app_user_name)
    client.grant_form_access(project.id, form_id, app_user.id)
    return Published(project, form, app_user, versions, action, missing)


def _upload_media(
    client: CentralClient, project_id: int, form_id: str, media: Sequence[Media]
) -> tuple[str, ...]:
    """Upload the media the draft expects; the names it expects that were not given."""
    expected = client.draft_attachments(project_id, form_id)
    if not expected:
        return ()
    given = {m.name: m for m in media}
    missing = []
    for attachment in expected:
        file = given.get(attachment.name)
        if file is None:
            if not attachment.exists:
                missing.append(attachment.name)
            continue
        client.upload_draft_attachment(
            project_id, form_id, attachment.name, file.content, file.media_type
        )
    return tuple(missing)


__all__ = ["Media", "Published", "publish"]
