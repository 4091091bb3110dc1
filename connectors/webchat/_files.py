"""Files the web chat page uploads: what they really are, and what of them is kept.

The type is read from the bytes, never from the name or the declared type: a file is
accepted only when Pillow (trying those three decoders only) decodes it whole as a
PNG, JPEG or WebP, or when it starts like a PDF. An image is re-encoded from its
pixels alone, so what a phone camera writes beside them (EXIF: GPS position, device,
time; XMP; comments; ICC) is not stored.
The EXIF orientation is applied to the pixels first, so a portrait photo stays
upright. PDFs are kept as sent.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from typing import Literal

from PIL import Image, ImageOps, UnidentifiedImageError

from common.texts import Key

# Larger images are refused before they are decoded (a small PNG can hold a huge,
# blank canvas); a phone screenshot is a few million pixels.
MAX_PIXELS = 40_000_000
PDF_MAGIC = b"%PDF-"
# What Pillow calls each accepted format: the stored type, extension and save options.
_FORMATS: dict[str, tuple[str, str, dict[str, object]]] = {
    "PNG": ("image/png", ".png", {"compress_level": 3}),
    "JPEG": ("image/jpeg", ".jpg", {"quality": 90}),
    "WEBP": ("image/webp", ".webp", {"quality": 90}),
}
# The pixel modes each format is written in; any other is converted first.
_MODES = {"PNG": ("RGB", "RGBA", "L", "LA"), "JPEG": ("RGB", "L"), "WEBP": ("RGB", "RGBA")}


class Refused(Exception):
    """Not stored: the HTTP status and the :mod:`common.texts` key that says why."""

    def __init__(self, status: int, key: Key) -> None:
        super().__init__(key)
        self.status = status
        self.key = key


@dataclass(frozen=True)
class Cleaned:
    """An accepted file, as it will be stored."""

    data: bytes
    kind: Literal["image", "file"]
    mime: str
    suffix: str


def clean(data: bytes) -> Cleaned:
    """*data* as it may be stored, or :class:`Refused` (415 for anything but an image
    or a PDF, 422 for an empty file)."""
    if not data:
        raise Refused(422, "upload_empty")
    if data.startswith(PDF_MAGIC):
        return Cleaned(data, "file", "application/pdf", ".pdf")
    return _image(data)


def _image(data: bytes) -> Cleaned:
    try:
        with warnings.catch_warnings():
            # Pillow's own bomb check warns first: a refusal here, not a warning.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=list(_FORMATS)) as image:
                if image.format not in _FORMATS:
                    raise Refused(415, "upload_bad_type")
                width, height = image.size
                if width * height > MAX_PIXELS:
                    raise Refused(415, "upload_bad_type")
                image.load()  # a truncated or corrupt file fails here, not later
                name = str(image.format)
                pixels = _pixels(image, name)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise Refused(415, "upload_bad_type") from None
    except Image.DecompressionBombWarning:
        raise Refused(415, "upload_bad_type") from None
    mime, suffix, options = _FORMATS[name]
    out = io.BytesIO()
    pixels.save(out, name, **options)
    return Cleaned(out.getvalue(), "image", mime, suffix)


def _pixels(image: Image.Image, name: str) -> Image.Image:
    """The image's pixels, upright, with nothing else: a fresh ``info``, no EXIF."""
    upright = ImageOps.exif_transpose(image)
    if upright.mode not in _MODES[name]:
        alpha = upright.mode.endswith("A") or "transparency" in upright.info
        target = "RGBA" if alpha and "RGBA" in _MODES[name] else "RGB"
        upright = upright.convert(target)
    bare = Image.new(upright.mode, upright.size)
    bare.paste(upright)
    bare.info = {}
    return bare
