"""Make the app icon's raster files from resources/icons/heedful.svg.

    python packaging/icons.py        (run by `./dev package` before PyInstaller)

Qt's SVG renderer draws the SVG at each size (small sizes drawn, not scaled down, stay
sharp); Pillow writes the Windows .ico and macOS .icns. The outputs are committed, so a
build does not depend on this step; rerun it after changing the SVG.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

from PIL import Image
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

ICONS = Path(__file__).resolve().parent.parent / "resources" / "icons"
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
ICNS_SIZES = (16, 32, 64, 128, 256, 512, 1024)


def render(svg: Path, size: int) -> Image.Image:
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"cannot read {svg}")
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return Image.open(io.BytesIO(bytes(data.data()))).convert("RGBA")


def main() -> int:
    _app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    svg = ICONS / "heedful.svg"
    images = {size: render(svg, size) for size in sorted({*ICO_SIZES, *ICNS_SIZES})}
    images[256].save(ICONS / "heedful.png")
    largest_ico = images[max(ICO_SIZES)]
    largest_ico.save(
        ICONS / "heedful.ico",
        sizes=[(size, size) for size in ICO_SIZES],
        append_images=[images[size] for size in ICO_SIZES],
    )
    images[1024].save(
        ICONS / "heedful.icns", append_images=[images[size] for size in ICNS_SIZES[:-1]]
    )
    for name in ("heedful.png", "heedful.ico", "heedful.icns"):
        print(f"wrote {ICONS / name} ({(ICONS / name).stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
