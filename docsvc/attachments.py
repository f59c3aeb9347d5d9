"""A file to download, as the API and the pages serve it."""

from __future__ import annotations

from fastapi.responses import Response


def attachment(content: bytes, media_type: str, filename: str) -> Response:
    """``content`` saved by the browser as ``filename`` (ASCII: the names are ours)."""
    return Response(
        content,
        media_type=media_type,
        headers={"content-disposition": f'attachment; filename="{filename}"'},
    )
