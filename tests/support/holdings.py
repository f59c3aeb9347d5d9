"""What a backend holds, to show that a refused request stored nothing."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from docsvc.models import Document, DocumentVersion
from tests.support.backends import Backend


@dataclass(frozen=True)
class Holdings:
    documents: int
    versions: int
    objects: int
    upload_temp_files: int


def holdings(backend: Backend) -> Holdings:
    with backend.services.sessions() as db:
        documents = db.scalar(select(func.count()).select_from(Document)) or 0
        versions = db.scalar(select(func.count()).select_from(DocumentVersion)) or 0
    objects = sum(1 for _ in backend.services.store.list())
    tmp = backend.settings.upload_tmp_dir
    temp_files = sum(1 for _ in tmp.glob("upload-*")) if tmp.is_dir() else 0
    return Holdings(documents, versions, objects, temp_files)
