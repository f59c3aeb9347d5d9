"""Draw the service's icon: a page with a seal, in the pages' accent colour. Writes
``docsvc/web/static/favicon.ico`` (16, 32 and 48 px) and ``favicon.svg``. Run it again after
changing the drawing: ``.venv/bin/python scripts/make_favicon.py``."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

ACCENT = "#0b4f8a"
STATIC = Path(__file__).resolve().parent.parent / "docsvc" / "web" / "static"
SVG = f"""<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64">
<rect width="64" height="64" rx="10" fill="{ACCENT}"/>
<path d="M16 8h24l10 10v38H16z" fill="#fff"/>
<path d="M22 24h20M22 31h20M22 38h12" stroke="{ACCENT}" stroke-width="3"/>
<circle cx="42" cy="46" r="8" fill="#f0a500"/>
</svg>
"""


def draw(size: int = 256) -> Image.Image:
    scale = size / 64
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)

    def box(*values: float) -> list[float]:
        return [v * scale for v in values]

    pen.rounded_rectangle(box(0, 0, 64, 64), radius=10 * scale, fill=ACCENT)
    pen.polygon(
        [
            (16 * scale, 8 * scale),
            (40 * scale, 8 * scale),
            (50 * scale, 18 * scale),
            (50 * scale, 56 * scale),
            (16 * scale, 56 * scale),
        ],
        fill="#ffffff",
    )
    for y, end in ((24, 42), (31, 42), (38, 34)):
        pen.line(box(22, y, end, y), fill=ACCENT, width=max(1, round(3 * scale)))
    pen.ellipse(box(34, 38, 50, 54), fill="#f0a500")
    return image


def main() -> None:
    draw().save(STATIC / "favicon.ico", sizes=[(16, 16), (32, 32), (48, 48)])
    (STATIC / "favicon.svg").write_text(SVG)


if __name__ == "__main__":
    main()
