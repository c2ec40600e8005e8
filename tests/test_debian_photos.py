"""Training photos from Debian packages: Qt resource files decode, licences are found, the
provenance reaches the dataset manifest, and a missing package is one line naming apt-get."""
from __future__ import annotations

import hashlib
import io
import json
import struct
import tempfile
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from dreamgan.data.debian_photos import PACKAGES, fetch_debian_photos, licence_of, licence_stanzas, package_photos
from dreamgan.data.qt_rcc import rcc_files
from dreamgan.errors import DreamganError


def make_rcc(files: dict[str, bytes], compress: set[str] = frozenset()) -> bytes:
    """A version-2 Qt resource blob of `files` ({"dir/name": bytes}), as `rcc -binary` lays it out:
    breadth-first tree of 22-byte nodes, children of a directory stored contiguously."""
    tree: dict = {}
    for path, data in files.items():
        node = tree
        *dirs, name = path.split("/")
        for d in dirs:
            node = node.setdefault(d, {})
        node[name] = data
    names, payload, nodes = bytearray(), bytearray(), []

    def name_offset(name: str) -> int:
        offset = len(names)
        text = name.encode("utf-16-be")
        names.extend(struct.pack(">HI", len(name), 0) + text)
        return offset

    nodes.append(None)  # the root, filled below
    order = [(0, "", tree)]
    while order:
        index, prefix, folder = order.pop(0)
        first = len(nodes)
        children = sorted(folder.items())
        nodes.extend([None] * len(children))
        entry_name = name_offset(prefix.rsplit("/", 1)[-1]) if prefix else 0
        nodes[index] = struct.pack(">IHII", entry_name, 2, len(children), first) + b"\0" * 8
        for k, (name, value) in enumerate(children):
            path = f"{prefix}/{name}".lstrip("/")
            if isinstance(value, dict):
                order.append((first + k, path, value))
                continue
            flags, blob = 0, value
            if path in compress:
                flags, blob = 1, struct.pack(">I", len(value)) + zlib.compress(value)
            data_offset = len(payload)
            payload.extend(struct.pack(">I", len(blob)) + blob)
            nodes[first + k] = struct.pack(">IHHHI", name_offset(name), flags, 0, 0, data_offset) + b"\0" * 8
    tree_bytes = b"".join(nodes)
    tree_off = 20
    data_off = tree_off + len(tree_bytes)
    names_off = data_off + len(payload)
    return b"qres" + struct.pack(">IIII", 2, tree_off, data_off, names_off) + tree_bytes + bytes(payload) + bytes(names)


def _webp(seed: int, size=(320, 300)) -> bytes:
    pixels = (np.random.default_rng(seed).random((size[1], size[0], 3)) * 255).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, "WEBP", lossless=True)
    return buf.getvalue()


def test_a_qt_resource_file_decodes_to_the_same_files():
    files = {"act/resource/animals/cow.webp": _webp(0), "act/resource/animals/owl.webp": _webp(1),
             "act/resource/README": b"Copyright: A\nLicense: CC0-1.0\nFiles: animals/cow.webp\n", "act/Main.qml": b"Item {}"}
    blob = make_rcc(files, compress={"act/resource/animals/owl.webp", "act/Main.qml"})
    assert dict(rcc_files(blob)) == files
    with pytest.raises(DreamganError, match="not a Qt resource file"):
        list(rcc_files(b"PK\x03\x04 a zip"))
    with pytest.raises(DreamganError, match="outside the file"):
        list(rcc_files(blob[:60]))


def _raw_rcc(nodes: list[bytes], payload: bytes = b"", names: bytes = b"") -> bytes:
    """A version-2 Qt resource blob from hand-made 22-byte nodes (a hostile file's layout)."""
    tree = b"".join(nodes)
    return b"qres" + struct.pack(">IIII", 2, 20, 20 + len(tree), 20 + len(tree) + len(payload)) + tree + payload + names


def _name(text_utf16: bytes, chars: int) -> bytes:
    return struct.pack(">HI", chars, 0) + text_utf16


def test_a_hostile_qt_resource_file_is_refused_in_one_line_without_exhausting_the_machine():
    """fetch-photos --debs reads .rcc files from anyone's .deb: a tree of folders that share
    their children (2^60 paths), entries that inflate past the length they declare or past the
    caps, and a name that is not UTF-16 are each one line, found at once."""
    import time

    from dreamgan.data import qt_rcc

    names = _name("d".encode("utf-16-be"), 1)
    shared = [struct.pack(">IHII", 0, 2, 2, i + 1) + b"\0" * 8 for i in range(60)]  # node i's children: i+1 and i+2
    shared += [struct.pack(">IHHHI", 0, 0, 0, 0, 0) + b"\0" * 8] * 2
    bomb = zlib.compress(bytes(64 * 2 ** 20), 9)  # 64 MiB of zeros in ~64 KB
    cases = {
        "reached twice": _raw_rcc(shared, struct.pack(">I", 1) + b"x", names),
        "declares 100 bytes|more than the 100": _raw_rcc(  # one stream, claiming 100 bytes
            [struct.pack(">IHII", 0, 2, 1, 1) + b"\0" * 8, struct.pack(">IHHHI", 0, 1, 0, 0, 0) + b"\0" * 8],
            struct.pack(">I", 4 + len(bomb)) + struct.pack(">I", 100) + bomb, names),
        "more than this reader inflates": _raw_rcc(  # eight entries sharing a stream that claims 1 GiB
            [struct.pack(">IHII", 0, 2, 8, 1) + b"\0" * 8] + [struct.pack(">IHHHI", 0, 1, 0, 0, 0) + b"\0" * 8] * 8,
            struct.pack(">I", 4 + len(bomb)) + struct.pack(">I", 2 ** 30) + bomb, names),
        "not valid UTF-16": _raw_rcc(
            [struct.pack(">IHII", 0, 2, 1, 1) + b"\0" * 8, struct.pack(">IHHHI", 0, 0, 0, 0, 0) + b"\0" * 8],
            struct.pack(">I", 1) + b"x", _name(b"\xd8\x00", 1)),  # a lone high surrogate
        "past the end of the file": _raw_rcc(
            [struct.pack(">IHII", 0, 2, 1, 1) + b"\0" * 8, struct.pack(">IHHHI", 0, 0, 0, 0, 0) + b"\0" * 8],
            struct.pack(">I", 10 ** 6) + b"x", names),
    }
    for message, blob in cases.items():
        t = time.perf_counter()
        with pytest.raises(DreamganError, match=message) as err:
            list(rcc_files(blob, label="evil.rcc"))
        assert "\n" not in str(err.value) and str(err.value).startswith("evil.rcc: "), err.value
        assert time.perf_counter() - t < 5, f"{message}: took {time.perf_counter() - t:.1f}s"
    assert qt_rcc.MAX_ENTRY_BYTES < 2 ** 30


def test_licences_come_from_the_stanza_that_names_the_file():
    stanzas = licence_stanzas("Files: *\nCopyright: Project\nLicense: GPL-3+\n\n"
                              "Files: 16.04/bridge.jpg\n other.jpg\nCopyright: Sander, 2018\nLicense: CC-BY-SA-4.0\n")
    assert licence_of("usr/share/backgrounds/bridge.jpg", stanzas)["license"] == "CC-BY-SA-4.0", "the upstream folder may differ"
    assert licence_of("usr/share/backgrounds/other.jpg", stanzas)["copyright"] == "Sander, 2018", "continuation lines count"
    assert licence_of("usr/share/x/unlisted.jpg", stanzas)["license"] == "GPL-3+", "the package's default"


def test_photos_inside_rcc_files_get_their_resource_readme_licence(tmp_path):
    root = tmp_path / "root"
    rcc_dir = root / "usr/share/gcompris-qt/rcc"
    rcc_dir.mkdir(parents=True)
    readme = b"Copyright: Someone\nSource: https://commons.example/cow\nLicense: CC-BY-2.0\nFiles: animals/cow.webp\n"
    (rcc_dir / "explore_farm_animals.rcc").write_bytes(make_rcc({"a/resource/animals/cow.webp": _webp(0), "a/resource/README": readme,
                                                                 "a/resource/tiny.svg": b"<svg/>"}))
    (got,) = list(package_photos(PACKAGES["gcompris-qt-data"], root))
    path, data, licence = got
    assert path.endswith("explore_farm_animals.rcc:a/resource/animals/cow.webp") and data == _webp(0)
    assert licence == {"license": "CC-BY-2.0", "copyright": "Someone", "source": "https://commons.example/cow"}


def test_a_missing_package_is_one_line_naming_apt_get(tmp_path, monkeypatch):
    with pytest.raises(DreamganError, match=r"apt-get download palapeli-data.*--debs") as e:
        fetch_debian_photos(tmp_path / "out", packages=("palapeli-data",), debs=tmp_path)
    assert "\n" not in str(e.value)
    monkeypatch.setenv("PATH", str(tmp_path))  # no apt-get on this machine
    with pytest.raises(DreamganError, match=r"`apt-get` is not on this machine.*apt-get download lxqt-themes"):
        fetch_debian_photos(tmp_path / "out", packages=("lxqt-themes",))
    with pytest.raises(DreamganError, match="not a photo package"):
        fetch_debian_photos(tmp_path / "out", packages=("firefox",))


def test_the_photos_provenance_reaches_the_dataset_manifest(tmp_path, registered_tiny_backbone):
    from dreamgan.data.dataset import make_dataset
    from dreamgan.dream import DreamConfig

    src = tmp_path / "photos"
    src.mkdir()
    entries = []
    for i in range(3):
        data = _webp(i, (64, 64))
        (src / f"p{i}.webp").write_bytes(data)
        entries.append({"file": f"p{i}.webp", "package": "palapeli-data", "version": "1", "path": f"usr/share/p{i}.jpg",
                        "sha256": hashlib.sha256(data).hexdigest(), "license": "CC0-1.0", "copyright": "X", "source": None})
    (src / "photos.json").write_text(json.dumps({"photos": entries}))
    make_dataset(tmp_path / "data", source=src, count=3, size=32, val=0, test=0,
                 recipe=DreamConfig(backbone="tiny", layers=("conv2",), octaves=1, steps=1, tile=0))
    rows = [json.loads(line) for line in (tmp_path / "data" / "manifest.jsonl").read_text().splitlines()]
    assert len(rows) == 3 and all(r["provenance"]["package"] == "palapeli-data" and r["provenance"]["license"] == "CC0-1.0" for r in rows)
    assert sorted(r["provenance"]["path"] for r in rows) == ["usr/share/p0.jpg", "usr/share/p1.jpg", "usr/share/p2.jpg"]


def _fake_deb(folder, package: str, files: dict[str, bytes]) -> None:
    """A real .deb (dpkg-deb -b) of `package` holding `files` ({path in the tree: bytes})."""
    import subprocess

    root = folder / f"{package}-tree"
    (root / "DEBIAN").mkdir(parents=True)
    (root / "DEBIAN" / "control").write_text(f"Package: {package}\nVersion: 1.0\nArchitecture: all\nMaintainer: t <t@t>\nDescription: t\n")
    for path, data in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_bytes(data)
    subprocess.run(["dpkg-deb", "-b", str(root), str(folder / f"{package}_1.0_all.deb")], check=True, capture_output=True)


def _jpeg(seed: int) -> bytes:
    buf = io.BytesIO()
    Image.fromarray((np.random.default_rng(seed).random((320, 330, 3)) * 255).astype(np.uint8)).save(buf, "JPEG")
    return buf.getvalue()


def test_fetching_more_packages_merges_their_provenance_and_an_interruption_leaves_no_photo_without_one(tmp_path, monkeypatch):
    """photos.json is merged, not replaced: a second fetch of one package keeps the others'
    entries; a package named twice is fetched once; a relative --debs works; a fetch killed
    mid-package leaves photos only with their entries, and no unpack folder once rerun."""
    import dreamgan.data.debian_photos as dp

    debs = tmp_path / "debs"
    debs.mkdir()
    _fake_deb(debs, "palapeli-data", {f"usr/share/palapeli/collection/p{i}.jpg": _jpeg(i) for i in range(3)})
    _fake_deb(debs, "lxqt-themes", {f"usr/share/lxqt/wallpapers/{dp._LXQT[0]}": _jpeg(9)})
    out = tmp_path / "photos"
    monkeypatch.chdir(tmp_path)
    fetch_debian_photos(out, packages=("palapeli-data", "lxqt-themes"), debs="debs")  # relative
    entries = json.loads((out / "photos.json").read_text())["photos"]
    assert sorted(e["package"] for e in entries) == ["lxqt-themes"] + ["palapeli-data"] * 3
    again = fetch_debian_photos(out, packages=("palapeli-data", "palapeli-data"), debs=debs)
    assert len(again) == 3, "named twice, fetched once"
    merged = json.loads((out / "photos.json").read_text())["photos"]
    assert sorted(e["file"] for e in merged) == sorted(e["file"] for e in entries), "the other package's entry stays"
    # killed while writing the second package's photos: each photo on disk has its entry
    fresh = tmp_path / "fresh"
    writes = []

    def dying_write(path, data):
        writes.append(path)
        if len(writes) == 3:  # the first package's json and photo went through; die inside the next
            raise KeyboardInterrupt
        return real_write(path, data)

    real_write = dp.write_bytes_atomic
    monkeypatch.setattr(dp, "write_bytes_atomic", dying_write)
    with pytest.raises(KeyboardInterrupt):
        fetch_debian_photos(fresh, packages=("lxqt-themes", "palapeli-data"), debs=debs)
    monkeypatch.setattr(dp, "write_bytes_atomic", real_write)
    described = {e["file"] for e in json.loads((fresh / "photos.json").read_text())["photos"]}
    on_disk = {p.name for p in fresh.iterdir() if p.suffix == ".jpg"}
    assert on_disk and on_disk <= described, (on_disk, described)
    assert not list(Path(tempfile.gettempdir()).glob("dreamgan-unpack-*")), "the unpack folder is removed"
