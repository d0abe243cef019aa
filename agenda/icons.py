"""`python -m agenda.icons`: draw the app's icons (static/icons/icon-192.png and -512.png).

Pure Python (zlib), no image library: a full-bleed blue square (maskable: the platform may cut
it to a circle, so the drawing keeps inside the central 60 %) with the favicon's three white lines.
"""

import struct
import sys
import zlib
from pathlib import Path

BLUE = (0x0B, 0x5C, 0xAD)
WHITE = (0xFF, 0xFF, 0xFF)
# The favicon's lines (16 units wide), as (x0, x1, y) bars 2 units high, drawn in the safe zone.
BARS = ((4, 12, 4), (4, 12, 8), (4, 9, 12))
OUT = Path(__file__).resolve().parent.parent / "static" / "icons"


def pixels(size: int) -> list[bytes]:
    """Rows of RGB pixels: the bars scaled into the central 60 % of the square."""
    unit = size * 0.6 / 16
    offset = size * 0.2
    rows = []
    for y in range(size):
        row = bytearray()
        for x in range(size):
            u, v = (x - offset) / unit, (y - offset) / unit
            on = any(x0 <= u < x1 and yc - 1 <= v < yc + 1 for x0, x1, yc in BARS)
            row += bytes(WHITE if on else BLUE)
        rows.append(bytes(row))
    return rows


def png(size: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + row for row in pixels(size))
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9))
            + chunk(b"IEND", b""))


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    for size in (192, 512):
        (OUT / f"icon-{size}.png").write_bytes(png(size))
    return 0


if __name__ == "__main__":
    sys.exit(main())
