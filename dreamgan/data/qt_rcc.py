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
MAX_DEPTH = 64
"""Folder levels a resource tree may nest."""
MAX_ENTRY_BYTES = 256 * 2 ** 20
"""The most one file of a resource may inflate to (GCompris's largest picture is a few MB)."""
MAX_TOTAL_BYTES = 2 * 2 ** 30
"""The most all the files of one resource blob may inflate to, together."""


def rcc_files(data: bytes, *, label: str = "rcc") -> Iterator[tuple[str, bytes]]:
    """Every file of a Qt resource blob as (path, bytes), depth first (`label` names the blob in errors).

    The blob may come from anyone (`fetch-photos --debs DIR`), so reading it is bounded: each
    node of the tree is visited at most once (a tree whose folders share children is refused,
    not walked 2^depth times), folders nest at most `MAX_DEPTH` deep, a compressed entry is
    inflated only up to the length it declares (at most `MAX_ENTRY_BYTES`), and all entries
    together to `MAX_TOTAL_BYTES`.

    Raises:
        DreamganError: one line: not a Qt resource file, a version this reader does not know,
            offsets outside the blob, a node reached twice, a tree too deep, a name that is not
            UTF-16, an entry larger than it declares or than the caps, or a zstd-compressed entry
            (Qt ≥ 5.13 with zstd; not used by GCompris).
    """
    if data[:4] != b"qres" or len(data) < 20:
        raise DreamganError(f"{label}: not a Qt resource file (no 'qres' header)")
    version, tree, payload, names = struct.unpack(">IIII", data[4:20])
    if version not in (1, 2, 3):
        raise DreamganError(f"{label}: Qt resource version {version} is not supported (1–3)")
    node_size = 14 if version == 1 else 22
    max_nodes = max(0, (len(data) - tree) // node_size)  # no more nodes than the blob can hold
    seen: set[int] = set()
    inflated = 0

    def read(fmt: str, offset: int) -> tuple:
        size = struct.calcsize(fmt)
        if offset < 0 or offset + size > len(data):
            raise DreamganError(f"{label}: a Qt resource offset points outside the file ({offset})")
        return struct.unpack(fmt, data[offset:offset + size])

    def name(offset: int) -> str:
        (length,) = read(">H", names + offset)
        start = names + offset + 6  # the length, then a 4-byte hash
        if start + 2 * length > len(data):
            raise DreamganError(f"{label}: a Qt resource name runs past the end of the file")
        try:
            return data[start:start + 2 * length].decode("utf-16-be")
        except UnicodeDecodeError:
            raise DreamganError(f"{label}: a Qt resource name is not valid UTF-16 (at offset {start})") from None

    def inflate(blob: bytes, path: str) -> bytes:
        nonlocal inflated
        if len(blob) < 4:
            raise DreamganError(f"{label}: {path}: corrupt compressed entry (no length)")
        (declared,) = struct.unpack(">I", blob[:4])  # qCompress: 4-byte expected length, then zlib
        if declared > MAX_ENTRY_BYTES or inflated + declared > MAX_TOTAL_BYTES:
            raise DreamganError(f"{label}: {path} declares {declared} bytes; more than this reader inflates "
                                f"({MAX_ENTRY_BYTES // 2 ** 20} MiB an entry, {MAX_TOTAL_BYTES // 2 ** 30} GiB a file)")
        stream = zlib.decompressobj()
        try:
            out = stream.decompress(blob[4:], declared + 1)  # never more than one byte past what it declares
        except zlib.error as e:
            raise DreamganError(f"{label}: {path}: corrupt compressed entry ({e})") from None
        if len(out) != declared:
            raise DreamganError(f"{label}: {path} inflates to {'more' if len(out) > declared else 'less'} than the {declared} bytes it declares")
        inflated += declared
        return out

    def walk(index: int, prefix: str, depth: int) -> Iterator[tuple[str, bytes]]:
        if depth > MAX_DEPTH:
            raise DreamganError(f"{label}: Qt resource tree deeper than {MAX_DEPTH} folders")
        if index in seen or index >= max_nodes:
            raise DreamganError(f"{label}: Qt resource node {index} is {'reached twice (a loop or shared folders)' if index in seen else 'outside the file'}")
        seen.add(index)
        node = tree + index * node_size
        name_offset, flags = read(">IH", node)
        path = f"{prefix}/{name(name_offset)}" if index else ""
        if flags & _DIRECTORY:
            count, first = read(">II", node + 6)
            if first + count > max_nodes:
                raise DreamganError(f"{label}: Qt resource folder {path or '/'} lists {count} children outside the file")
            for child in range(first, first + count):
                yield from walk(child, path, depth + 1)
            return
        (offset,) = read(">I", node + 10)
        (size,) = read(">I", payload + offset)
        start = payload + offset + 4
        if start + size > len(data):
            raise DreamganError(f"{label}: {path} runs past the end of the file ({size} bytes at {start})")
        blob = data[start:start + size]
        if flags & _ZSTD:
            raise DreamganError(f"{label}: {path} is zstd-compressed, which this reader does not support")
        if flags & _COMPRESSED:
            blob = inflate(blob, path)
        yield path.lstrip("/"), blob

    yield from walk(0, "", 0)


__all__ = ["rcc_files"]
