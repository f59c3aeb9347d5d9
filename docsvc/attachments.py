"""A file to download, as the API and the pages serve it."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi.responses import Response, StreamingResponse


def attachment(content: bytes, media_type: str, filename: str) -> Response:
    """``content`` saved by the browser as ``filename`` (ASCII: the names are ours)."""
    return Response(
        content,
        media_type=media_type,
        headers={"content-disposition": f'attachment; filename="{filename}"'},
    )


def streamed_zip(chunks: Iterator[bytes], size: int, filename: str) -> StreamingResponse:
    """A zip streamed from the store, of a known ``size``, saved as ``filename``."""
    return StreamingResponse(
        chunks,
        media_type="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Content-Length": str(size),
        },
    )
