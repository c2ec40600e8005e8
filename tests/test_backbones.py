"""Backbones: the ports equal their references, names are the networks' own, nothing downloads."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from dreamgan.backbones import (
    CLASSIFIER_FORMAT,
    backbone_names,
    build_classifier,
    inception_tf,
    list_backbones,
    load_backbone,
    save_classifier_checkpoint,
    zoo,
)
from dreamgan.errors import BackboneError, WeightsNotFoundError


def _real_photos(size):
    import skimage.data

    photos = [skimage.data.chelsea(), skimage.data.astronaut(), skimage.data.coffee(), skimage.data.rocket()]
    x = [F.interpolate(torch.from_numpy(p).permute(2, 0, 1)[None].float(), size=(size, size), mode="bilinear",
                       antialias=True, align_corners=False) for p in photos]
    return torch.cat(x) / 255.0  # (4, 3, size, size) in [0, 1]


@pytest.mark.slow
def test_inception_port_equals_torchscript_on_real_images():
    x01 = _real_photos(299)
    reference = inception_tf.load_torchscript()
    with torch.no_grad():
        expected = reference((x01 * 255 - 128) / 128)  # the TF graph's own input scaling
        port = load_backbone("inception-v3-tf")
        got = port(x01, ["pool2"])["pool2"].flatten(1)
    assert got.shape == (4, 2048)
    assert torch.allclose(got, expected, atol=1e-4), f"max diff {(got - expected).abs().max():.2e}"


def test_inception_layers_keep_tf_names_and_mixed_0_alias():
    bb = load_backbone("inception-v3-tf")
    assert bb.layer_names == list(inception_tf.LAYERS)
    x = torch.rand(1, 3, 299, 299)
    with torch.no_grad():
        acts = bb(x, ["mixed_0", "mixed_3"])
    assert acts["mixed_0"].shape == (1, 256, 35, 35)
    assert acts["mixed_3"].shape == (1, 768, 17, 17)


def test_efficientnet_lite0_classifies_chelsea_as_a_cat():
    import skimage.data

    bb = load_backbone("efficientnet-lite0")
    img = torch.from_numpy(skimage.data.chelsea()).permute(2, 0, 1)[None].float() / 255
    x01 = F.interpolate(img, size=(224, 224), mode="bilinear", antialias=True, align_corners=False)
    with torch.no_grad():
        logits = bb(x01, ["logits"])["logits"]
    top = int(logits.argmax())
    assert 281 <= top <= 285, f"chelsea classified as {top} {bb.class_names[top]}"
    assert bb.resolve_class("Egyptian cat") == 285 and bb.resolve_class("285") == 285


def test_forward_is_truncated_after_the_deepest_layer():
    bb = load_backbone("inception-v3-tf")
    ran = []
    hooks = [m.register_forward_hook(lambda m, i, o, n=n: ran.append(n)) for n, m in bb.stages.items()]
    try:
        with torch.no_grad():
            bb(torch.rand(1, 3, 128, 128), ["mixed_1"])
    finally:
        for h in hooks:
            h.remove()
    assert ran[-1] == "mixed_1" and "mixed_2" not in ran
    small = bb.truncated(["mixed_3", "conv_2"])
    assert small.layer_names[-1] == "mixed_3"
    assert not any(p.requires_grad for p in bb.parameters()), "backbone weights must be frozen"


def test_unknown_backbone_layer_and_class_list_valid_names():
    with pytest.raises(BackboneError, match="valid backbones: inception-v3-tf, efficientnet-lite0"):
        load_backbone("alexnet")
    bb = load_backbone("inception-v3-tf")
    with pytest.raises(BackboneError, match="valid layers: conv, conv_1") as e:
        bb.resolve_layer("mixed3")
    assert "did you mean mixed_3" in str(e.value)
    with pytest.raises(BackboneError, match="no class logits"):
        bb.resolve_class("cat")
    eff = load_backbone("efficientnet-lite0")
    with pytest.raises(BackboneError, match="close matches: 'tabby'"):
        eff.resolve_class("tabbby")


def test_min_size_is_the_smallest_input_that_works():
    bb = load_backbone("inception-v3-tf")
    s = bb.min_size("mixed_5")
    with torch.no_grad():
        bb(torch.zeros(1, 3, s, s), ["mixed_5"])
        with pytest.raises(RuntimeError):
            bb(torch.zeros(1, 3, s - 1, s - 1), ["mixed_5"])


def test_zoo_without_weights_never_downloads_and_says_where(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    monkeypatch.setattr(torch.hub, "download_url_to_file", lambda *a, **k: pytest.fail("attempted a download"))
    with pytest.raises(WeightsNotFoundError, match="never downloads") as e:
        load_backbone("vgg16")
    assert "vgg16-397923af.pth" in str(e.value)
    with pytest.raises(WeightsNotFoundError, match="never downloads") as e:
        zoo.find_weights("resnet18")
    assert "resnet18-f37072fd.pth" in str(e.value) and str(tmp_path) in str(e.value)
    info = {i.name: i for i in list_backbones()}
    assert info["inception-v3-tf"].available and info["efficientnet-lite0"].available
    assert not info["vgg16"].available and set(info) == set(backbone_names())


def test_zoo_loads_a_local_weights_file_and_finds_the_hub_cache(tmp_path, monkeypatch):
    # Stand-in weights file with the real architecture's state dict (random values).
    net = zoo.build_arch("resnet18")
    path = tmp_path / "resnet18-f37072fd.pth"
    torch.save(net.state_dict(), path)
    bb = load_backbone("resnet18", weights=path)
    assert bb.layer_names[:4] == ["conv1", "bn1", "relu", "maxpool"] and bb.logits_layer == "fc"
    with torch.no_grad():
        out = bb(torch.rand(1, 3, 64, 64), ["layer3", "logits"])
        ref = net.eval()(bb.normalize(torch.rand(1, 3, 64, 64)))
    assert out["logits"].shape == ref.shape == (1, 1000)
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    (tmp_path / "hub" / "checkpoints").mkdir(parents=True)
    path.rename(tmp_path / "hub" / "checkpoints" / path.name)
    assert zoo.find_weights("resnet18") == tmp_path / "hub" / "checkpoints" / path.name


def test_zoo_rejects_weights_of_another_architecture(tmp_path):
    path = tmp_path / "wrong.pth"
    torch.save(zoo.build_arch("resnet34").state_dict(), path)
    with pytest.raises(WeightsNotFoundError, match="do not fit"):
        load_backbone("resnet18", weights=path)


@pytest.mark.parametrize("arch", ["resnet18", "efficientnet-lite0"])
def test_classifier_checkpoint_roundtrip(tmp_path, arch):
    torch.manual_seed(0)
    net = build_classifier(arch, 3).eval()
    path = tmp_path / "best.pt"
    save_classifier_checkpoint(path, net, arch=arch, class_names=["skulls", "dots", "rings"])
    assert torch.load(path, weights_only=True)["format"] == CLASSIFIER_FORMAT
    bb = load_backbone(str(path))
    x = torch.rand(2, 3, 64, 64)
    with torch.no_grad():
        got = bb(x, ["logits"])["logits"]
        want = net(bb.normalize(x))
    assert torch.allclose(got, want, atol=1e-5)
    assert bb.resolve_class("skulls") == 0 and bb.resolve_class("RINGS") == 2


def test_mismatched_or_foreign_checkpoints_are_clear_errors(tmp_path):
    foreign = tmp_path / "foreign.pt"
    torch.save({"weights": torch.zeros(3)}, foreign)
    with pytest.raises(BackboneError, match="not a dreamgan classifier"):
        load_backbone(str(foreign))
    garbage = tmp_path / "garbage.pt"
    garbage.write_bytes(b"\x00" * 100)
    with pytest.raises(WeightsNotFoundError, match="not a readable dreamgan/torch weights file"):
        load_backbone(str(garbage))
    bad = tmp_path / "bad.pt"
    save_classifier_checkpoint(bad, build_classifier("resnet18", 3), arch="resnet34", class_names=["a", "b", "c"])
    with pytest.raises(WeightsNotFoundError, match="do not fit"):
        load_backbone(str(bad))


def test_a_registered_backbone_works_by_name_everywhere(registered_tiny_backbone):
    # conftest registers "tiny" (its weights in a file); the registry treats it like a real one
    from dreamgan.backbones import list_backbones, register_backbone, weights_file
    from dreamgan.dream import DreamConfig, DreamEngine

    bb = load_backbone("tiny")
    assert bb.layer_names[:3] == ["conv1", "conv2", "conv3"] and load_backbone("tiny") is bb, "cached per process"
    assert weights_file("tiny") == registered_tiny_backbone, "datasets hash its weights file"
    info = {b.name: b for b in list_backbones()}["tiny"]
    assert info.available and info.detail == str(registered_tiny_backbone)
    x = torch.rand(1, 3, 32, 32)
    out = DreamEngine(DreamConfig(backbone="tiny", layers=("conv2",), octaves=1, steps=2, tile=0)).run(x)
    assert out.shape == x.shape and not torch.equal(out, x)
    with pytest.raises(BackboneError, match="built-in backbone"):
        register_backbone("inception-v3-tf", lambda w: bb, weights=registered_tiny_backbone)


def test_loading_a_network_leaves_the_callers_random_numbers_alone(registered_tiny_backbone):
    """Its layers' random init is overwritten by the weights; were it drawn from the caller's
    RNG, a seeded training run would depend on whether the process had loaded it before (the
    first of two identical noise → dream runs in one process trained differently)."""
    from dreamgan.backbones import _load_cached

    _load_cached.cache_clear()
    torch.manual_seed(0)
    load_backbone("efficientnet-lite0")  # built now: nn.Conv2d's init would draw
    load_backbone("tiny")
    after_first_load = torch.rand(4)
    torch.manual_seed(0)
    load_backbone("efficientnet-lite0")  # cached: draws nothing
    load_backbone("tiny")
    assert torch.equal(torch.rand(4), after_first_load)
