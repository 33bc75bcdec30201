"""Raw bytes -> clean text, rejecting what is not a text document (one-line reasons)."""

from __future__ import annotations

import re

from .errors import IngestError
from .textnorm import count_controls, normalise_newlines, strip_controls

# Above this share of control characters the "text" is really binary data.
_MAX_CONTROL_SHARE = 0.10
# Legacy-decoded text where most characters are outside ASCII is noise, not Latin-1 prose.
_MAX_LEGACY_HIGH_SHARE = 0.30

_BOMS: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)


def check_size(data: bytes, max_bytes: int) -> None:
    if not data:
        raise IngestError("empty file")
    if len(data) > max_bytes:
        raise IngestError(f"file too large ({len(data)} bytes; the limit is {max_bytes} bytes)")


def decode_text(data: bytes, warnings: list[str]) -> str:
    """Decode to str with \\n newlines and no control characters except tab/newline.

    UTF-8 (BOM optional) and BOM-marked UTF-16/32 are trusted. Anything else must look like
    Windows-1252 (or Latin-1) prose, and is accepted with a warning.
    """
    text = _decode(data, warnings)
    text = normalise_newlines(text)
    if not text.strip():
        raise IngestError("file contains only whitespace")
    controls = count_controls(text)
    if controls:
        if controls > _MAX_CONTROL_SHARE * len(text):
            raise IngestError("binary file (mostly control characters)")
        text = strip_controls(text)
        if not text.strip():
            raise IngestError("file contains only whitespace")
    return text


# A multi-byte UTF-8 sequence: Windows-1252 prose almost never contains one by chance.
_UTF8_SEQUENCE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)


def _mostly_utf8(data: bytes) -> bool:
    """UTF-8 text with a few broken bytes: more valid multi-byte sequences than invalid bytes
    (random binary data has the opposite; Windows-1252 prose has almost none)."""
    valid = len(_UTF8_SEQUENCE.findall(data))
    invalid = data.decode("utf-8", "replace").count("\ufffd") - data.count(b"\xef\xbf\xbd")
    return valid >= invalid


def _decode(data: bytes, warnings: list[str]) -> str:
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(codec)
            except UnicodeDecodeError as exc:
                raise IngestError(
                    f"invalid {codec.upper()} text (byte offset {exc.start + len(bom)})"
                ) from None
    if b"\x00" in data:
        raise IngestError("binary file (NUL bytes)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if _mostly_utf8(data):
            # UTF-8 text with broken bytes: decoding it as Windows-1252 would store mojibake
            # ("CafÃ©") for every accented letter of the file.
            line = data.count(b"\n", 0, exc.start) + 1
            raise IngestError(
                f"invalid UTF-8 at line {line} (byte offset {exc.start}); save the file as UTF-8"
            ) from None
    try:
        text, codec = data.decode("cp1252"), "Windows-1252"
    except UnicodeDecodeError:
        text, codec = data.decode("latin-1"), "Latin-1"
    high = sum(1 for ch in text if ch > "\x7f")
    # C1 controls only appear when bytes were never meant as Latin-1 text.
    c1 = sum(1 for ch in text if "\x80" <= ch <= "\x9f")
    if c1 or high > _MAX_LEGACY_HIGH_SHARE * len(text) or count_controls(text) > 0.01 * len(text):
        raise IngestError("not a text file: invalid UTF-8 and not readable as Windows-1252")
    warnings.append(f"file is not UTF-8; decoded as {codec}")
    return text
