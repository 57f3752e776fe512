"""QR codes of a workshop's join URL (segno: pure Python, PNG and SVG, no extra system library)."""

from __future__ import annotations

import io

import segno


def _qr(url: str) -> segno.QRCode:
    # Quartile error correction: still readable when projected with glare or printed small.
    return segno.make_qr(url, error="q")


def qr_png(url: str, scale: int = 10) -> bytes:
    out = io.BytesIO()
    _qr(url).save(out, kind="png", scale=scale, border=2)
    return out.getvalue()


def qr_svg(url: str, scale: int = 10) -> bytes:
    out = io.BytesIO()
    _qr(url).save(out, kind="svg", scale=scale, border=2, title="QR code", xmldecl=False, svgns=True)
    return out.getvalue()
