"""A photo sent with a message is checked by its content and size and kept as its pixels alone:
no location, no camera details, no hidden text (hazard H53)."""

from __future__ import annotations

import io

import pytest
from PIL import Image, PngImagePlugin

from alongside.domain.errors import InvalidInput
from alongside.domain.message_photos import read_photo

GPS_IFD, ORIENTATION, MAKE = 0x8825, 0x0112, 0x010F


def jpeg_with_location(orientation: int = 1) -> bytes:
    """A 40 x 20 JPEG from a phone: the camera's make, where it was taken (Whitby), how it was held."""
    image = Image.new("RGB", (40, 20), (200, 30, 30))
    exif = image.getexif()
    exif[MAKE] = "PhoneCo"
    exif[ORIENTATION] = orientation
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (54.0, 29.0, 10.0), 3: "W", 4: (0.0, 36.0, 50.0)})
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, comment=b"taken at home")
    return out.getvalue()


def png_with_text() -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Location", "54.4858 N, 0.6206 W")
    out = io.BytesIO()
    Image.new("RGBA", (10, 10), (0, 0, 255, 128)).save(out, "PNG", pnginfo=info)
    return out.getvalue()


def test_a_jpeg_keeps_its_picture_and_loses_its_location_camera_and_comment():
    original = jpeg_with_location()
    assert b"PhoneCo" in original and Image.open(io.BytesIO(original)).getexif().get_ifd(GPS_IFD)
    kept, media_type = read_photo(io.BytesIO(original))
    assert media_type == "image/jpeg"
    image = Image.open(io.BytesIO(kept))
    assert image.format == "JPEG" and image.size == (40, 20)
    assert not image.getexif() and not image.getexif().get_ifd(GPS_IFD)
    assert b"PhoneCo" not in kept and b"taken at home" not in kept and b"Exif" not in kept
    red, green, blue = image.getpixel((20, 10))
    assert red > 150 and green < 80 and blue < 80  # the same picture


def test_a_photo_taken_sideways_is_kept_the_way_the_camera_held_it():
    kept, _ = read_photo(io.BytesIO(jpeg_with_location(orientation=6)))  # rotated 90 degrees
    assert Image.open(io.BytesIO(kept)).size == (20, 40)


def test_a_png_loses_its_text_chunks_and_keeps_its_transparency():
    kept, media_type = read_photo(io.BytesIO(png_with_text()))
    image = Image.open(io.BytesIO(kept))
    assert media_type == "image/png" and b"Location" not in kept and not image.text
    assert image.mode == "RGBA" and image.getpixel((5, 5))[3] == 128


@pytest.mark.parametrize("content, message", [
    (b"", "Choose a photo"),
    (b"%PDF-1.7\n" + b"\x00" * 300, "not a JPEG or PNG"),  # a document is not a photo
    (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 300, "not a JPEG or PNG"),  # a program
    (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 300, "not a JPEG or PNG"),  # HEIC
    (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 300, "could not be opened"),  # a JPEG's first bytes only
])
def test_what_is_not_a_jpeg_or_png_picture_is_refused_naming_the_field(content, message):
    with pytest.raises(InvalidInput) as refused:
        read_photo(io.BytesIO(content))
    assert refused.value.field == "photo" and message in refused.value.detail


def test_a_photo_over_the_limit_is_refused():
    with pytest.raises(InvalidInput, match="larger than 1 MB") as refused:
        read_photo(io.BytesIO(jpeg_with_location() + b"\x00" * (1024 * 1024)), max_bytes=1024 * 1024)
    assert refused.value.field == "photo"


def test_a_small_file_claiming_a_huge_picture_is_refused_without_being_drawn():
    out = io.BytesIO()
    Image.new("1", (12_000, 12_000)).save(out, "PNG")  # 144 megapixels in a few kilobytes
    assert len(out.getvalue()) < 100_000
    with pytest.raises(InvalidInput) as refused:
        read_photo(io.BytesIO(out.getvalue()))
    assert refused.value.field == "photo"
