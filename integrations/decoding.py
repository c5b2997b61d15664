"""Bodies decoded under a cap while they are decoded (decompression-bomb guard).

An HTTP client that decodes a compressed body chunk by chunk can still turn one 32 KB chunk into a gigabyte
before any byte cap applies (zstd, brotli, deep gzip). Here every decoder is told how many bytes it may
produce (zlib's `max_length`), so memory stays bounded by the cap whatever the compression ratio. Only the
encodings decoded this way are advertised (`ACCEPT_ENCODING`); a body in any other encoding is refused."""

from __future__ import annotations

import codecs
import re
import zlib
from collections.abc import Iterable

ACCEPT_ENCODING = "gzip, deflate"  # only what `BoundedDecoder` decodes under its cap
_IDENTITY = {"", "identity"}
_GZIP = {"gzip", "x-gzip"}


class UnsupportedEncoding(ValueError):
    """A content-encoding this module does not decode under a cap (never asked for)."""


class BoundedDecoder:
    """Decodes one body in the given Content-Encoding, producing at most `limit` bytes in total."""

    def __init__(self, content_encoding: str | None, limit: int) -> None:
        codings = [c.strip().lower() for c in (content_encoding or "").split(",") if c.strip()]
        codings = [c for c in codings if c not in _IDENTITY]
        if len(codings) > 1:
            raise UnsupportedEncoding(f"stacked content-encodings {content_encoding!r} are not decoded")
        self.coding = codings[0] if codings else ""
        if self.coding and self.coding not in _GZIP and self.coding != "deflate":
            raise UnsupportedEncoding(f"content-encoding {self.coding!r} was not asked for and is not decoded")
        self.limit = limit
        self.produced = 0
        self.truncated = False
        self._first = True
        self._z = zlib.decompressobj(16 + zlib.MAX_WBITS) if self.coding in _GZIP else None

    def feed(self, raw: bytes) -> bytes:
        """Decode one raw chunk; returns at most what is left of the cap (sets `truncated` when it is hit)."""
        if self.truncated or not raw:
            return b""
        if not self.coding:
            return self._take(raw)
        if self._z is None:  # deflate: zlib-wrapped, or raw deflate from servers that get it wrong
            self._z = zlib.decompressobj() if _zlib_header(raw) else zlib.decompressobj(-zlib.MAX_WBITS)
        out: list[bytes] = []
        data = raw
        while data and not self.truncated:
            room = self.limit - self.produced + 1
            try:
                piece = self._z.decompress(data, room)
            except zlib.error as exc:
                raise ValueError(f"the {self.coding} body is corrupt: {exc}") from None
            out.append(self._take(piece))
            data = self._z.unconsumed_tail
            if not piece:
                break
        return b"".join(out)

    def _take(self, piece: bytes) -> bytes:
        room = self.limit - self.produced
        if len(piece) > room:
            self.truncated = True
            piece = piece[:room]
        self.produced += len(piece)
        return piece


def _zlib_header(raw: bytes) -> bool:
    return len(raw) >= 2 and (raw[0] & 0x0F) == 8 and ((raw[0] << 8) | raw[1]) % 31 == 0


def decode_capped(chunks: Iterable[bytes], content_encoding: str | None, limit: int) -> tuple[bytes, bool]:
    """Every chunk decoded, stopping at `limit` bytes: (body, truncated)."""
    decoder = BoundedDecoder(content_encoding, limit)
    out = []
    for chunk in chunks:
        out.append(decoder.feed(chunk))
        if decoder.truncated:
            break
    return b"".join(out), decoder.truncated


_META_CHARSET = re.compile(rb"""<meta\s[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_AS_WINDOWS_1252 = {"latin_1", "iso8859-1", "ascii"}  # the HTML standard reads these labels as windows-1252
PRESCAN_BYTES = 4096


def page_encoding(header_charset: str | None, body: bytes) -> str:
    """The text encoding of an HTML page, in the HTML standard's order: a byte-order mark, the Content-Type
    charset, a `<meta charset>` or `<meta http-equiv="Content-Type" content="...; charset=...">` in the first
    PRESCAN_BYTES bytes, else UTF-8. Unknown names are skipped."""
    for bom, name in _BOMS:
        if body.startswith(bom):
            return name
    found = _META_CHARSET.search(body[:PRESCAN_BYTES])
    for candidate in (header_charset, found.group(1).decode("ascii") if found else None):
        if not candidate:
            continue
        try:
            name = codecs.lookup(candidate.strip()).name
        except LookupError:
            continue
        return "cp1252" if name in _AS_WINDOWS_1252 else name
    return "utf-8"
