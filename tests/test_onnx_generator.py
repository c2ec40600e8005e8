"""`dreamgan export` and `sample --onnx`: ONNX Runtime gives PyTorch's pixels for the same seed,
at any size, and bad .onnx files are one-line errors."""
from __future__ import annotations

import os

import numpy as np
import pytest
import torch
from PIL import Image
from typer.testing import CliRunner

pytest.importorskip("onnxruntime")

from dreamgan.errors import DreamganError  # noqa: E402
from dreamgan.fast import fast_dream, load_generator, load_pix2pix, write_fast_dreams, write_onnx  # noqa: E402  # noqa: E402
from dreamgan.fast.onnx import OnnxGenerator  # noqa: E402


@pytest.fixture(scope="module")
def bundled_onnx(tmp_path_factory):
    return write_onnx(*load_pix2pix(None), tmp_path_factory.mktemp("onnx") / "fast.onnx")


@pytest.mark.parametrize("size", [(299, 299), (173, 241)])
def test_onnx_runtime_equals_pytorch_for_the_same_seed(bundled_onnx, size):
    g = load_generator(None)[0]
    og = OnnxGenerator(bundled_onnx)
    x = torch.rand(1, 3, *size, generator=torch.Generator().manual_seed(0))
    torch_dream, onnx_dream = fast_dream(g, x, seed=4), fast_dream(og, x, seed=4)
    assert onnx_dream.shape == x.shape
    assert (torch_dream - onnx_dream).abs().max() < 1e-4, "ONNX Runtime must give PyTorch's pixels"
    assert (fast_dream(og, x, seed=5) - onnx_dream).abs().mean() > 0.01, "the noise is an input: another seed, another dream"
    assert og.recipe["layers"] == ["mixed_3", "mixed_5"] and og.step is not None, "the file describes itself"


def test_sample_with_onnx_writes_the_same_dream_as_pytorch(bundled_onnx, photo_uint8, tmp_path):
    photo = tmp_path / "photo.png"
    Image.fromarray(photo_uint8).save(photo)
    (a,), _ = write_fast_dreams(None, [photo], tmp_path / "torch", seed=2)
    (b,), _ = write_fast_dreams(None, [photo], tmp_path / "onnx", seed=2, onnx=bundled_onnx)
    diff = np.abs(np.asarray(Image.open(a)).astype(int) - np.asarray(Image.open(b)).astype(int))
    assert diff.max() <= 1, "at most one uint8 step of rounding apart"


def test_sample_runs_onnx_runtime_by_default_from_a_cached_export(photo_uint8, tmp_path, monkeypatch):
    import dreamgan.fast.loading as loading
    from dreamgan.cli.root import app
    from dreamgan.fast import load_fast_generator
    from dreamgan.fast.onnx import onnx_cache_dir

    monkeypatch.setenv("DREAMGAN_CACHE", str(tmp_path / "cache"))
    photo = tmp_path / "photo.png"
    Image.fromarray(photo_uint8).save(photo)
    runner = CliRunner()
    r = runner.invoke(app, ["sample", str(photo), "-o", str(tmp_path / "auto"), "--seed", "2"])
    assert r.exit_code == 0, r.output
    (cached,) = onnx_cache_dir().glob("*.onnx")
    assert onnx_cache_dir() == tmp_path / "cache" / "onnx"
    g, ckpt = load_fast_generator(None, runtime="auto")
    assert isinstance(g, OnnxGenerator) and g.path == cached and ckpt["runtime"] == "onnxruntime"
    assert ckpt["path"].endswith(".pt"), "the dream's metadata names the checkpoint, not the cache file"
    # the export is made once; an unreadable cached file is made again
    stamp = cached.stat().st_mtime_ns
    assert load_fast_generator(None, runtime="auto")[0].path == cached and cached.stat().st_mtime_ns == stamp
    cached.write_bytes(b"torn")
    assert isinstance(load_fast_generator(None, runtime="auto")[0], OnnxGenerator) and cached.stat().st_size > 1000
    # the same dream as PyTorch, to one uint8 step
    r = runner.invoke(app, ["sample", str(photo), "-o", str(tmp_path / "torch"), "--seed", "2", "--runtime", "torch"])
    assert r.exit_code == 0, r.output
    a, b = (np.asarray(Image.open(tmp_path / d / "photo.png")).astype(int) for d in ("auto", "torch"))
    assert np.abs(a - b).max() <= 1
    assert not isinstance(load_fast_generator(None, runtime="torch")[0], OnnxGenerator)
    # without the extra, auto is PyTorch and onnx is one line that says how to install it
    monkeypatch.setattr(loading, "onnxruntime_installed", lambda: False)
    assert not isinstance(load_fast_generator(None, runtime="auto")[0], OnnxGenerator)
    monkeypatch.setattr(loading, "cached_onnx_generator", lambda g, c: (_ for _ in ()).throw(DreamganError("no extra")))
    with pytest.raises(DreamganError, match="no extra"):
        load_fast_generator(None, runtime="onnx")
    with pytest.raises(DreamganError, match="unknown runtime"):
        load_fast_generator(None, runtime="tpu")


@pytest.mark.filterwarnings("ignore")
def test_bad_onnx_files_are_one_line_errors(tmp_path):
    with pytest.raises(DreamganError, match="no ONNX file"):
        OnnxGenerator(tmp_path / "missing.onnx")
    corrupt = tmp_path / "corrupt.onnx"
    corrupt.write_bytes(b"\x08\x07 not protobuf at all")
    with pytest.raises(DreamganError, match="not a readable ONNX file"):
        OnnxGenerator(corrupt)
    foreign = tmp_path / "foreign.onnx"  # a valid ONNX graph that dreamgan did not write
    torch.onnx.export(torch.nn.Conv2d(3, 3, 1), (torch.rand(1, 3, 8, 8),), str(foreign), dynamo=False)
    with pytest.raises(DreamganError, match="not a dreamgan generator"):
        OnnxGenerator(foreign)


def test_only_the_unet_generator_exports(tmp_path):
    from studio_helpers import tiny_pix2pix_run

    dcgan = tiny_pix2pix_run(tmp_path, arch="dcgan")
    with pytest.raises(DreamganError, match="dcgan generator"):
        write_onnx(*load_pix2pix(dcgan), tmp_path / "x.onnx")
    assert not (tmp_path / "x.onnx").exists(), "nothing half-written"


def test_the_studio_serves_fast_dreams_from_an_onnx_file(bundled_onnx, photo_uint8):
    from fastapi.testclient import TestClient
    from studio_helpers import wait_job

    from dreamgan.images import png_bytes
    from dreamgan.studio.app import create_app

    with TestClient(create_app(onnx=str(bundled_onnx)), base_url="http://127.0.0.1:7860") as client:
        info = client.get("/api/info").json()
        assert info["checkpoint"]["name"] == "fast.onnx", "the page names the file, not the server path"
        photo = client.post("/api/images", content=png_bytes(photo_uint8)).json()
        job = wait_job(client, client.post("/api/fast", json={"image": photo["id"], "seed": 1}).json()["id"])
        assert job["state"] == "done" and job["kind"] == "fast", job["error"]


def _with_metadata(src, dst, **changes):
    """A copy of an exported file whose metadata fields are replaced: what a stranger can hand a user."""
    import onnx

    model = onnx.load(str(src))
    for entry in model.metadata_props:
        if entry.key in changes:
            entry.value = str(changes[entry.key])
    onnx.save(model, str(dst))
    return dst


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("changes, message", [
    (dict(depth="99"), r"depth=99 is out of range \(0\.\.8\)"),
    (dict(depth="abc"), r"depth='abc' is not an integer"),
    (dict(depth="-2"), r"depth=-2 is out of range"),
    (dict(depth="3"), r"noise_per_level has 6 levels, depth=3 needs 4"),
    (dict(depth="3", noise_per_level="[4, 4, 4, 4]"), r"inputs .* disagree with its metadata"),
    (dict(unshuffle="4", depth="8"), r"pads to multiples of 1024 px"),
    (dict(noise_per_level="[4, 4, 4]"), r"noise_per_level has 3 levels"),
    (dict(noise_per_level="[1000000000, 4, 4, 4, 4, 4]"), r"noise_per_level=.* not a list of channel counts in 0\.\.64"),
    (dict(noise_per_level="[8, 4, 4, 4, 4, 4]"), r"noise0 is declared \['batch', 4, .*metadata says \(batch, 8, height, width\)"),
    (dict(noise_per_level="{}"), r"not a list of channel counts"),
    (dict(unshuffle="2"), r"graph does not run with the geometry its metadata gives"),
])
def test_onnx_metadata_from_a_stranger_is_checked_before_use(bundled_onnx, tmp_path, changes, message):
    bad = _with_metadata(bundled_onnx, tmp_path / "bad.onnx", **changes)
    with pytest.raises(DreamganError, match=message) as e:
        OnnxGenerator(bad)
    assert "\n" not in str(e.value) and "dreamgan export" in str(e.value), "one line that says how to fix it"


@pytest.mark.filterwarnings("ignore")
def test_an_onnx_graph_that_declares_huge_noise_is_refused_before_allocating(bundled_onnx, tmp_path):
    import onnx

    model = onnx.load(str(bundled_onnx))
    model.graph.input[1].type.tensor_type.shape.dim[1].dim_value = 10 ** 9  # noise0: 1e9 channels
    for entry in model.metadata_props:
        if entry.key == "noise_per_level":
            entry.value = "[1000000000, 4, 4, 4, 4, 4]"
    onnx.save(model, str(tmp_path / "huge.onnx"))
    with pytest.raises(DreamganError, match="noise_per_level"):
        OnnxGenerator(tmp_path / "huge.onnx")


@pytest.mark.filterwarnings("ignore")
def test_a_dreamgan_labelled_identity_graph_is_refused(tmp_path):
    import onnx
    from onnx import TensorProto, helper

    from dreamgan.fast.onnx import ONNX_FORMAT

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["b", 3, "h", "w"])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["b", 3, "h", "w"])
    model = helper.make_model(helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "id", [x], [y]),
                              opset_imports=[helper.make_opsetid("", 17)])
    for key, value in dict(dreamgan_format=ONNX_FORMAT, depth="5", unshuffle="1", noise_per_level="[0, 0, 0, 0, 0, 0]").items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.save(model, str(tmp_path / "identity.onnx"))
    with pytest.raises(DreamganError, match=r"inputs \['x'\] disagree with its metadata \(expected \['photo'\]\)"):
        OnnxGenerator(tmp_path / "identity.onnx")


@pytest.mark.filterwarnings("ignore")
def test_serve_refuses_a_bad_onnx_file_at_startup(bundled_onnx, tmp_path):
    from dreamgan.studio.app import create_app

    with pytest.raises(DreamganError, match="noise_per_level has 3 levels"):
        create_app(onnx=str(_with_metadata(bundled_onnx, tmp_path / "bad.onnx", noise_per_level="[4, 4, 4]")))


@pytest.mark.filterwarnings("ignore")
def test_export_to_a_path_that_cannot_be_written_is_one_line(tmp_path, capsys):
    from dreamgan.cli import main

    (tmp_path / "small.png").write_bytes(b"x")
    (tmp_path / "photos").mkdir()
    cases = [(tmp_path / "small.png" / "x.onnx", "small.png exists and is not a directory"),
             (tmp_path / "photos", "photos exists and is a folder"),
             ("/dev/full", "not a regular file"),
             ("/proc/nope.onnx", "cannot write /proc/nope.onnx")]
    for out, message in cases:
        with pytest.raises(SystemExit) as e:
            main(["export", "-o", str(out)])
        err = capsys.readouterr().err.strip().splitlines()
        assert e.value.code == 1 and len(err) == 1 and message in err[0], (out, err)
    assert os.path.exists("/dev/full") and not os.path.isfile("/dev/full"), "the device node is left alone"
    assert (tmp_path / "photos").is_dir() and not list((tmp_path / "photos").iterdir())


def test_sample_into_the_photos_own_folder_refuses_to_overwrite_a_photo(photo_uint8, tmp_path):
    photo = tmp_path / "photo.png"
    Image.fromarray(photo_uint8).save(photo)
    before = photo.read_bytes()
    with pytest.raises(DreamganError, match="would destroy the source"):
        write_fast_dreams(None, [photo], tmp_path, seed=0, runtime="torch")
    assert photo.read_bytes() == before


@pytest.mark.filterwarnings("ignore")
def test_the_dilated_generator_exports_with_pytorch_s_pixels(tmp_path):
    from dreamgan.models.context import DilatedResidualNet

    torch.manual_seed(0)
    g = DilatedResidualNet(8, 3, unshuffle=2, noise=2).eval()
    torch.nn.init.normal_(g.head.weight, std=0.05)
    path = write_onnx(g, {"path": "dilated.pt", "step": 5, "recipe": None}, tmp_path / "dilated.onnx")
    og = OnnxGenerator(path)
    x = torch.rand(1, 3, 67, 90, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        ours = fast_dream(g, x, seed=3)
    assert (fast_dream(og, x, seed=3) - ours).abs().max() < 1e-4 and og.geometry.depth == 0


def test_the_antialiased_unet_exports_with_pytorch_s_pixels_and_its_full_size_noise(tmp_path):
    from dreamgan.models.pix2pix import ResidualUNet

    torch.manual_seed(0)
    g = ResidualUNet(ngf=8, depth=3, noise=2, antialias=True).eval()
    torch.nn.init.normal_(g.head.weight, std=0.05)
    path = write_onnx(g, {"path": "aa.pt", "step": 5, "recipe": None}, tmp_path / "aa.onnx")
    og = OnnxGenerator(path)
    assert og.geometry.full_res_noise and og.geometry == g.geometry
    x = torch.rand(1, 3, 67, 90, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        ours = fast_dream(g, x, seed=3)
    assert (fast_dream(og, x, seed=3) - ours).abs().max() < 1e-4


@pytest.mark.parametrize("unshuffle", [1, 2])
def test_the_photo_texture_generator_exports_with_pytorch_s_pixels(tmp_path, unshuffle):
    from dreamgan.models.photo_texture import PhotoTextureGenerator

    torch.manual_seed(0)
    g = PhotoTextureGenerator(ngf=8, levels=3, noise=2, unshuffle=unshuffle).eval()
    torch.nn.init.normal_(g.head.weight, std=0.05)
    path = write_onnx(g, {"path": "texture.pt", "step": 5, "recipe": None}, tmp_path / "texture.onnx")
    og = OnnxGenerator(path)
    assert og.geometry == g.geometry
    x = torch.rand(1, 3, 67, 90, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        ours = fast_dream(g, x, seed=3)
    assert (fast_dream(og, x, seed=3) - ours).abs().max() < 1e-4
