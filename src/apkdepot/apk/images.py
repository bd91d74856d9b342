"""What an uploaded listing image is, decided by decoding it whole.

Runs in the inspection worker (apk/worker.py), under its memory and CPU
limits, because a hostile image (a decompression bomb, a broken stream that
makes a decoder spin) must cost a bounded child process, never the server.
Only PNG, JPEG and WebP are taken, by what the bytes are, not by their name;
the pixel count is checked from the header before any pixel is decoded."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import msgspec


@dataclass(frozen=True)
class ImageLimits:
    min_side: int = 320  # as Google Play's screenshots
    max_side: int = 3840
    max_pixels: int = 3840 * 2160 * 2
    max_aspect: float = 2.5  # the long side over the short one (phones are ~2.2)


class ImageFacts(msgspec.Struct, frozen=True):
    media_type: str  # image/png, image/jpeg or image/webp
    width: int
    height: int


class ImageRejected(Exception):
    """The image cannot be used; ``detail`` says why, in words for its owner."""

    def __init__(self, detail: str) -> None:
        self.detail = detail
        super().__init__(detail)


MEDIA_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}
EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp"}


def check_dimensions(width: int, height: int, limits: ImageLimits) -> None:
    """The size rules, on the header's numbers (pure, so it is tested alone)."""
    if min(width, height) < limits.min_side:
        raise ImageRejected(f"{width}×{height} px is too small (each side at least {limits.min_side} px)")
    if max(width, height) > limits.max_side or width * height > limits.max_pixels:
        raise ImageRejected(f"{width}×{height} px is too large (each side at most {limits.max_side} px)")
    if max(width, height) / min(width, height) > limits.max_aspect:
        raise ImageRejected(f"{width}×{height} px is too narrow (sides at most {limits.max_aspect}:1)")


def inspect_image(path: Path, limits: ImageLimits = ImageLimits()) -> ImageFacts:
    from PIL import Image, UnidentifiedImageError

    # Pillow's own bomb guard, as a hard error, at our bound.
    Image.MAX_IMAGE_PIXELS = limits.max_pixels
    try:
        with Image.open(path, formats=tuple(MEDIA_TYPES)) as image:
            media_type = MEDIA_TYPES.get(image.format or "")
            if media_type is None:
                raise ImageRejected("not a PNG, JPEG or WebP image")
            width, height = image.size
            check_dimensions(width, height, limits)
            if getattr(image, "n_frames", 1) > 1:
                raise ImageRejected("animated images are not taken")
            image.load()  # every pixel: a truncated or corrupt stream fails here
    except ImageRejected:
        raise
    except Image.DecompressionBombError:
        raise ImageRejected(f"the image is too large (at most {limits.max_pixels} pixels)") from None
    except UnidentifiedImageError:
        raise ImageRejected("not a PNG, JPEG or WebP image, or a broken one") from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise ImageRejected(f"the image cannot be decoded ({type(exc).__name__})") from None
    return ImageFacts(media_type, width, height)
