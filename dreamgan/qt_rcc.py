"""Reading Qt resource files (`.rcc`, made by Qt's `rcc -binary`): the files inside, by path.

GCompris ships its activities' pictures this way (Debian's gcompris-qt-data). The format
(qtbase, src/corelib/io/qresource.cpp): a 20-byte header (`qres`, version, then the offsets of
the tree, the data and the names, all big-endian; version 3 adds a 4-byte flags word), a tree of
nodes (14 bytes each, 22 from version 2 on: + the last-modified time), names as a 2-byte length,
a 4-byte hash and UTF-16BE text, and data as a 4-byte length then the bytes. A file node with
flag 1 holds qCompress data (a 4-byte uncompressed length, then a zlib stream); flag 4 is zstd.
"""
from __future__ import annotations

import struct
import zlib
from typing import Iterator

from dreamgan.errors import DreamganError

_COMPRESSED, _DIRECTORY, _ZSTD = 0x01, 0x02, 0x04


def rcc_files(data: bytes, *, label: str = "rcc") -> Iterator[tuple[str, bytes]]:
    """Every file of a Qt resource blob as (path, bytes), depth first (`label` names the blob in errors).

    Raises:
        DreamganError: not a Qt resource file, a version this reader does not know, offsets
            outside the blob, or a zstd-compressed entry (Qt ≥ 5.13 with zstd; not used by GCompris).
    """
    if data[:4] != b"qres" or len(data) < 20:
        raise DreamganError(f"{label}: not a Qt resource file (no 'qres' header)")
    version, tree, payload, names = struct.unpack(">IIII", data[4:20])
    if version not in (1, 2, 3):
        raise DreamganError(f"{label}: Qt resource version {version} is not supported (1–3)")
    node_size = 14 if version == 1 else 22

    def read(fmt: str, offset: int) -> tuple:
        size = struct.calcsize(fmt)
        if offset < 0 or offset + size > len(data):
            raise DreamganError(f"{label}: a Qt resource offset points outside the file ({offset})")
        return struct.unpack(fmt, data[offset:offset + size])

    def name(offset: int) -> str:
        (length,) = read(">H", names + offset)
        start = names + offset + 6  # the length, then a 4-byte hash
        return data[start:start + 2 * length].decode("utf-16-be")

    def walk(index: int, prefix: str, depth: int) -> Iterator[tuple[str, bytes]]:
        if depth > 64:
            raise DreamganError(f"{label}: Qt resource tree too deep (a loop?)")
        node = tree + index * node_size
        name_offset, flags = read(">IH", node)
        path = f"{prefix}/{name(name_offset)}" if index else ""
        if flags & _DIRECTORY:
            count, first = read(">II", node + 6)
            for child in range(first, first + count):
                yield from walk(child, path, depth + 1)
            return
        (offset,) = read(">I", node + 10)
        (size,) = read(">I", payload + offset)
        blob = data[payload + offset + 4:payload + offset + 4 + size]
        if flags & _ZSTD:
            raise DreamganError(f"{label}: {path} is zstd-compressed, which this reader does not support")
        if flags & _COMPRESSED:
            try:
                blob = zlib.decompress(blob[4:])  # qCompress: 4-byte expected length, then zlib
            except zlib.error as e:
                raise DreamganError(f"{label}: {path}: corrupt compressed entry ({e})") from None
        yield path.lstrip("/"), blob

    yield from walk(0, "", 0)


__all__ = ["rcc_files"]
