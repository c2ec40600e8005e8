"""The pix2pix generator as an ONNX file: `write_onnx` writes it, `OnnxGenerator` dreams with it
under ONNX Runtime (onnx and onnxruntime: core dependencies).

The graph is the generator proper (`core` of a `NoisyResidualGenerator`: the U-Net or the dilated
generator) with dynamic height and width. What depends on the input size stays on the host, in
this module: the reflect padding to a multiple of 2^depth·unshuffle, the crop back and the
residual sum. The noise is a graph *input* (`noise0`,
`noise1`, …), drawn here by a seeded `torch.Generator` in the same order as in PyTorch, so a seed
gives the same pixels under both runtimes (to float tolerance).

The file carries its own description in the ONNX metadata (`dreamgan_format`, depth,
unshuffle, the noise channels per level, the training step and the dataset recipe), so loading
needs nothing else, and a foreign `.onnx` file is refused with one line.
"""
from __future__ import annotations

import json
import os
import re
import warnings
from pathlib import Path

import numpy as np
import torch

from dreamgan.errors import DreamganError
from dreamgan.fileio import atomic_path, ensure_writable_dir
from dreamgan.models.pix2pix import NoisyResidualGenerator, UNetGeometry

ONNX_FORMAT = "dreamgan-onnx-generator/1"
OPSET = 17
INSTALL_HINT = "onnx or onnxruntime cannot be imported; reinstall dreamgan (pip install -e .), which installs both"


class _Core(torch.nn.Module):
    """(padded photo, *noises) → residual: the exported graph."""

    def __init__(self, unet):
        super().__init__()
        self.unet = unet

    def forward(self, padded, *noises):
        return self.unet.core(padded, list(noises))


def write_onnx(g, ckpt: dict, out: str | os.PathLike) -> Path:
    """Write a loaded pix2pix generator (`fast.loading.load_pix2pix`) to `out` as ONNX, atomically:
    the graph `core(padded, noises)` with dynamic size, its geometry in the metadata.

    Raises:
        DreamganError: not an exportable generator (`exportable`: the U-Net and the dilated one;
            not the backbone generator or DCGAN), or the ONNX extra is not installed.
    """
    try:
        import onnx
    except ImportError:
        raise DreamganError(INSTALL_HINT) from None
    if not exportable(g):
        raise DreamganError(f"{ckpt['path']}: only the U-Net, dilated and texture generators export to ONNX (this one is {type(g).__name__})")
    g = g.eval()
    m = g.geometry.multiple
    padded = torch.rand(1, 3, 2 * m, 2 * m)
    noises = g.geometry.draw_noise(padded, torch.Generator().manual_seed(0))
    names = [f"noise{i}" for i in range(len(noises))]
    axes = {"photo": {0: "batch", 2: "height", 3: "width"}, "residual": {0: "batch", 2: "height", 3: "width"}}
    axes.update({name: {0: "batch", 2: f"{name}_height", 3: f"{name}_width"} for name in names})
    meta = {"dreamgan_format": ONNX_FORMAT, "depth": g.geometry.depth, "unshuffle": g.unshuffle,
            "noise_per_level": json.dumps(g.noise_per_level), "full_res_noise": str(int(g.geometry.full_res_noise)),
            "min_side": str(g.geometry.min_side), "step": str(ckpt.get("step")),
            "recipe": json.dumps(ckpt.get("recipe")), "source": str(ckpt["path"])}
    out = Path(out)
    ensure_writable_dir(out.parent)
    with atomic_path(out) as tmp, torch.no_grad(), warnings.catch_warnings():
        # the TorchScript exporter's notes (no constant folding of slices; instance norm always
        # uses the input's statistics, as this U-Net does at training and at inference) are not
        # the user's business
        warnings.simplefilter("ignore")
        torch.onnx.export(_Core(g).eval(), (padded, *noises), str(tmp), input_names=["photo", *names], output_names=["residual"],
                          dynamic_axes=axes, opset_version=OPSET, dynamo=False)
        model = onnx.load(str(tmp))
        for key, value in meta.items():
            entry = model.metadata_props.add()
            entry.key, entry.value = key, str(value)
        onnx.save(model, str(tmp))
    return out


class OnnxGenerator:
    """A dreamgan ONNX generator under ONNX Runtime, called like the PyTorch one:
    `g(real_a, generator)` with real_a (B, 3, H, W) in [0, 1] → fake_b (B, 3, H, W) in [0, 1].

    Raises (on load):
        DreamganError: a missing, corrupt or foreign file, or the ONNX extra not installed.
    """

    def __init__(self, path: str | os.PathLike, *, threads: int | None = None):
        try:
            import onnxruntime as ort
        except ImportError:
            raise DreamganError(INSTALL_HINT) from None
        self.path = Path(path)
        if not self.path.is_file():
            raise DreamganError(f"no ONNX file at {self.path}")
        options = ort.SessionOptions()
        # as many threads as torch uses (ONNX Runtime's own default is the physical cores, one
        # on a 2-vCPU machine: half the speed there)
        options.intra_op_num_threads = threads or torch.get_num_threads()
        try:
            self.session = ort.InferenceSession(str(self.path), options, providers=["CPUExecutionProvider"])
        except Exception as e:  # onnxruntime raises its own exception types for unreadable graphs
            raise DreamganError(f"{self.path}: not a readable ONNX file ({str(e).splitlines()[0][:160]})") from None
        meta = self.session.get_modelmeta().custom_metadata_map
        if meta.get("dreamgan_format") != ONNX_FORMAT:
            raise DreamganError(f"{self.path}: an ONNX file, but not a dreamgan generator (expected {ONNX_FORMAT}); "
                                "make one with `dreamgan export`")
        self.geometry = _checked_geometry(meta, self.session, self.path)
        step = meta.get("step", "")
        self.step = int(step) if step.isdigit() else None  # an int, as in a torch checkpoint
        self.recipe = json.loads(meta.get("recipe") or "null")

    def __call__(self, real_a: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        padded = self.geometry.pad(real_a.float().cpu())
        return self._dream(real_a, padded, self.geometry.draw_noise(padded, generator))

    def dream_with_noise(self, real_a: torch.Tensor, noises: list[torch.Tensor]) -> torch.Tensor:
        """As `ResidualUNet.dream_with_noise`: fake_b for given noise tensors."""
        return self._dream(real_a, self.geometry.pad(real_a.float().cpu()), noises)

    def _dream(self, real_a: torch.Tensor, padded: torch.Tensor, noises: list[torch.Tensor]) -> torch.Tensor:
        h, w = real_a.shape[-2:]
        feeds = {"photo": padded.numpy(), **{f"noise{i}": z.float().cpu().numpy() for i, z in enumerate(noises)}}
        residual = torch.from_numpy(np.asarray(self.session.run(["residual"], feeds)[0]))
        return (real_a.cpu() + residual[..., :h, :w]).clamp(0, 1)


# What `dreamgan export` can write (and a little more): a file that claims more is refused before
# anything is allocated from its numbers. 2^depth · unshuffle bounds the padding; the channels
# bound the noise tensors.
MAX_DEPTH, MAX_UNSHUFFLE, MAX_MULTIPLE, MAX_NOISE = 8, 4, 512, 64


def _checked_geometry(meta: dict, session, path: Path) -> UNetGeometry:
    """The `UNetGeometry` an ONNX file's metadata describes, checked field by field and against
    the graph's declared inputs and outputs, then probed at the smallest size it pads to.

    The metadata comes from the file, so from whoever made it: nothing it says is used (to pad,
    to draw noise) before it is known to be in range and to agree with the graph.

    Raises:
        DreamganError: one line naming the field (or the graph part) that is wrong.
    """
    def refuse(what: str) -> DreamganError:
        return DreamganError(f"{path}: {what}; re-export the generator with `dreamgan export`")

    def small_int(key: str, low: int, high: int) -> int:
        raw = meta.get(key)
        if raw is None or not re.fullmatch(r"-?[0-9]{1,4}", raw.strip()):
            raise refuse(f"metadata {key}={raw!r} is not an integer")
        value = int(raw)
        if not low <= value <= high:
            raise refuse(f"metadata {key}={value} is out of range ({low}..{high})")
        return value

    depth, unshuffle = small_int("depth", 0, MAX_DEPTH), small_int("unshuffle", 1, MAX_UNSHUFFLE)
    if 2 ** depth * unshuffle > MAX_MULTIPLE:
        raise refuse(f"metadata depth={depth} with unshuffle={unshuffle} pads to multiples of {2 ** depth * unshuffle} px (at most {MAX_MULTIPLE})")
    try:
        noise = json.loads(meta.get("noise_per_level") or "")
    except ValueError:
        noise = None
    if not (isinstance(noise, list) and all(type(n) is int and 0 <= n <= MAX_NOISE for n in noise)):
        raise refuse(f"metadata noise_per_level={str(meta.get('noise_per_level'))[:40]!r} is not a list of channel counts in 0..{MAX_NOISE}")
    if len(noise) != depth + 1:
        raise refuse(f"metadata noise_per_level has {len(noise)} levels, depth={depth} needs {depth + 1}")
    # the graph: photo (B, 3·1, H, W) and one noise input per noisy level, with its channels
    want_inputs = [("photo", 3)] + [(f"noise{i}", n) for i, n in enumerate(n for n in noise if n)]
    got_inputs = [(i.name, i.shape) for i in session.get_inputs()]
    if [name for name, _ in want_inputs] != [name for name, _ in got_inputs]:
        raise refuse(f"the graph's inputs {[n for n, _ in got_inputs][:8]} disagree with its metadata "
                     f"(expected {[n for n, _ in want_inputs]})")
    outputs = [(o.name, o.shape) for o in session.get_outputs()]
    for (name, channels), (_, shape) in zip(want_inputs + [("residual", 3)], got_inputs + outputs[:1]):
        if len(shape) != 4 or shape[1] != channels:
            raise refuse(f"the graph's {name} is declared {shape}, its metadata says (batch, {channels}, height, width)")
    if [name for name, _ in outputs] != ["residual"]:
        raise refuse(f"the graph's outputs {[n for n, _ in outputs][:8]} are not ['residual']")
    full_res = meta.get("full_res_noise", "0")  # absent: exported before the anti-aliased U-Net
    if full_res not in ("0", "1"):
        raise refuse(f"metadata full_res_noise={full_res[:20]!r} is not 0 or 1")
    min_side = small_int("min_side", 0, MAX_MULTIPLE) if "min_side" in meta else 0  # absent: exported before it existed
    geometry = UNetGeometry(depth, unshuffle, tuple(noise), full_res_noise=full_res == "1", min_side=min_side)
    # 3. probe: the smallest input the geometry pads to must come back at its own size
    m = geometry.pad(torch.zeros(1, 3, 2, 2)).shape[-1]  # the smallest side it pads to
    probe = torch.zeros(1, 3, m, m)
    feeds = {"photo": probe.numpy(), **{f"noise{i}": z.numpy() for i, z in enumerate(geometry.draw_noise(probe, torch.Generator().manual_seed(0)))}}
    try:
        shape = tuple(np.asarray(session.run(["residual"], feeds)[0]).shape)
    except Exception as e:  # ONNX Runtime's own exception types
        raise refuse(f"its graph does not run with the geometry its metadata gives ({str(e).splitlines()[0][:120]})") from None
    if shape != (1, 3, m, m):
        raise refuse(f"its graph turns a (1, 3, {m}, {m}) photo into {shape}, not a residual of the same size")
    return geometry


def exportable(g) -> bool:
    """True for the generators whose graph is `core(padded, noises)` with a `UNetGeometry`: the
    U-Net and the dilated generator (not the backbone generator, not DCGAN)."""
    return isinstance(g, NoisyResidualGenerator)


def onnxruntime_installed() -> bool:
    """True when onnx and onnxruntime (core dependencies) can be imported."""
    import importlib.util

    return all(importlib.util.find_spec(name) is not None for name in ("onnx", "onnxruntime"))


def onnx_cache_dir() -> Path:
    """Where `dreamgan sample` keeps the ONNX exports it runs by default: $DREAMGAN_CACHE, else
    $XDG_CACHE_HOME/dreamgan, else ~/.cache/dreamgan (each under `onnx/`)."""
    root = os.environ.get("DREAMGAN_CACHE") or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "dreamgan"
    return Path(root) / "onnx"


def cached_onnx_generator(g, ckpt: dict) -> OnnxGenerator:
    """The generator under ONNX Runtime, exported once into `onnx_cache_dir()` and reused.

    The file is named by the checkpoint file's sha256 and the export format, so a retrained or
    replaced checkpoint gets a new export and a stale one is never run. An unreadable cached
    file (a torn copy, another tool's) is exported again.

    Raises:
        DreamganError: the generator does not export (not a U-Net), the extra is missing, or
            the cache cannot be written.
    """
    from dreamgan.fileio import sha256_file

    key = sha256_file(ckpt["path"])[:32]
    path = onnx_cache_dir() / f"{key}-{ONNX_FORMAT.replace('/', '-')}.onnx"
    if path.is_file():
        try:
            return OnnxGenerator(path)
        except DreamganError:
            pass  # torn or foreign: export it again
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise DreamganError(f"cannot write the ONNX cache {path.parent} ({e.strerror}); set DREAMGAN_CACHE") from None
    return OnnxGenerator(write_onnx(g, ckpt, path))


__all__ = ["ONNX_FORMAT", "OnnxGenerator", "cached_onnx_generator", "exportable", "onnx_cache_dir", "onnxruntime_installed",
           "write_onnx"]
