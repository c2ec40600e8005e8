"""The dream engine: the objective rises, results are reproducible, knobs do what they say."""
from __future__ import annotations

import pytest
import torch

from dreamgan.backbones import load_backbone
from dreamgan.dream import DreamConfig, DreamEngine, build_objective, dream, preset
from dreamgan.dream import objectives as O
from dreamgan.dream.engine import _gaussian_blur, octave_sizes, total_variation
from dreamgan.errors import BackboneError, DreamganError
from dreamgan.images import uint8_to_x01

TINY = dict(backbone="tiny", layers=("conv2",), octaves=1, steps=4, jitter=4, tile=0)


def _cfg(**kw):
    return DreamConfig(**{**TINY, **kw})


def test_objective_rises_over_steps_on_the_real_backbone(photo_uint8):
    x = uint8_to_x01(photo_uint8)
    cfg = DreamConfig(layers=("mixed_3",), octaves=2, steps=4, tile=0)
    engine = DreamEngine(cfg)
    scores = []
    out = engine.run(x, progress=lambda p: scores.append(p.objective) if p.octave == p.octaves else None)
    assert out.shape == x.shape and 0 <= float(out.min()) and float(out.max()) <= 1
    before, after = float(engine.score(x)), float(engine.score(out))
    assert after > 1.15 * before, f"objective {before:.3f} -> {after:.3f}"
    assert scores[-1] > scores[0], f"within the last octave: {scores}"


def test_objective_rises_with_each_objective_kind(tiny, noise_x01):
    kinds = {
        "layers+weights": _cfg(layers=("conv1", "conv3"), layer_weights=(0.5, 1.0)),
        "mean": _cfg(reduction="mean"),
        "maplist": _cfg(channels=(1, 5)),
        "top-k": _cfg(top_k=3),
        "least": _cfg(top_k=3, top_k_mode="least"),
        "neuron": _cfg(neuron=(2,)),
        "class": _cfg(class_target="class3"),
    }
    for name, cfg in kinds.items():
        engine = DreamEngine(cfg, backbone=tiny)
        before = engine.score(noise_x01).sum()
        after = engine.score(engine.run(noise_x01)).sum()
        assert after > before, f"{name}: {before:.4f} -> {after:.4f}"


def test_guided_dream_grows_the_guides_channels(tiny, noise_x01):
    guide = torch.zeros(1, 3, 48, 48)
    guide[:, 0] = 1.0  # a pure red guide
    for mode in ("weights", "dot"):
        engine = DreamEngine(_cfg(guide_mode=mode), backbone=tiny, guide_x01=guide)
        assert isinstance(engine.objective, O.Guided)
        before = engine.objective.prepare(engine.net, noise_x01)
        after_img = engine.run(noise_x01)
        with torch.no_grad():
            b = before(engine.net(noise_x01, ["conv2"])).sum()
            a = before(engine.net(after_img, ["conv2"])).sum()
        assert a > b, f"guided {mode}: {b:.4f} -> {a:.4f}"


def test_guided_weights_follow_the_guide_activations(tiny):
    guide = torch.rand(1, 3, 32, 32)
    obj = O.Guided("conv2", guide, mode="weights").prepare(tiny, guide)
    with torch.no_grad():
        sums = tiny(guide, ["conv2"])["conv2"].mean((0, 2, 3)).clamp_min(0)
    assert torch.allclose(obj.guide_acts, sums / sums.mean(), atol=1e-5)


def test_composed_objectives(tiny, noise_x01):
    obj = O.channel("conv2", 1) - 0.5 * O.channel("conv2", 2) + O.layer("conv1")
    assert set(obj.layers) == {"conv2", "conv1"}
    out = dream(noise_x01, _cfg(), backbone=tiny, objective=obj)
    with torch.no_grad():
        before = obj(tiny(noise_x01, obj.layers)).sum()
        after = obj(tiny(out, obj.layers)).sum()
    assert after > before


def test_same_seed_same_dream_other_seed_differs(tiny, noise_x01):
    a = dream(noise_x01, _cfg(seed=3), backbone=tiny)
    b = dream(noise_x01, _cfg(seed=3), backbone=tiny)
    c = dream(noise_x01, _cfg(seed=4), backbone=tiny)
    assert torch.equal(a, b)
    assert not torch.equal(a, c)


def test_batch_equals_one_by_one(tiny, noise_x01):
    cfg = _cfg(jitter=0)
    batch = dream(noise_x01, cfg, backbone=tiny)
    single = torch.cat([dream(noise_x01[i:i + 1], cfg, backbone=tiny) for i in range(2)])
    assert torch.allclose(batch, single, atol=1e-5)


def test_octaves_never_go_below_the_backbone_minimum():
    sizes = octave_sizes(300, 400, 6, 1.4, 75)
    assert sizes[0] == (300, 400) and min(sizes[-1]) >= 75
    assert octave_sizes(60, 60, 4, 1.4, 75) == [(60, 60)]
    assert octave_sizes(299, 299, 4, 1.4, 43) == [(299, 299), (214, 214), (153, 153), (109, 109)]


@pytest.mark.slow
def test_images_smaller_than_the_backbone_minimum_still_dream(photo_uint8):
    x = uint8_to_x01(photo_uint8)[..., :30, :30]  # below inception's minimum for mixed_5
    engine = DreamEngine(DreamConfig(layers=("mixed_5",), octaves=3, steps=1))
    assert engine.min_side > 30
    out = engine.run(x)
    assert out.shape == x.shape and not torch.equal(out, x)


def test_tiled_gradient_matches_untiled_and_has_no_seams(tiny):
    x = torch.rand(1, 3, 160, 200, generator=torch.Generator().manual_seed(1))
    full = DreamEngine(_cfg(tile=0), backbone=tiny)
    tiled = DreamEngine(_cfg(tile=64), backbone=tiny)
    obj_full = full.objective.prepare(full.net, x)
    g_full, _ = full.gradient(obj_full, x)
    g_tiled, _ = tiled.gradient(obj_full, x)
    cos = torch.nn.functional.cosine_similarity(g_full.flatten(), g_tiled.flatten(), dim=0)
    assert cos > 0.99, f"tiled gradient direction differs from the full one: cos={cos:.3f}"
    # No seams: the dream's change along tile borders is like its change elsewhere.
    out = tiled.run(x)
    d = (out - x).abs().mean(1)[0]  # (H, W)
    row_jump = (d[1:] - d[:-1]).abs().mean(1)
    assert row_jump.max() < 6 * row_jump.median() + 1e-3


def test_big_image_dreams_in_tiles(tiny):
    x = torch.rand(1, 3, 300, 260)
    out = dream(x, _cfg(tile=128, steps=2), backbone=tiny)
    assert out.shape == x.shape and torch.isfinite(out).all()


def test_tv_and_blur_make_smoother_dreams(tiny, noise_x01):
    base = dream(noise_x01, _cfg(steps=8), backbone=tiny)
    with_tv = dream(noise_x01, _cfg(steps=8, tv=50.0), backbone=tiny)
    with_blur = dream(noise_x01, _cfg(steps=8, blur=2.0), backbone=tiny)
    # TV penalises the image's own roughness; blur smooths what each step adds.
    assert total_variation(with_tv).sum() < total_variation(base).sum()
    assert total_variation(with_blur - noise_x01).sum() < total_variation(base - noise_x01).sum()


def test_gaussian_blur_preserves_mean_and_shape():
    g = torch.randn(2, 3, 20, 30)
    b = _gaussian_blur(g, 1.5)
    assert b.shape == g.shape
    assert torch.allclose(b.mean((2, 3)), g.mean((2, 3)), atol=0.05)
    assert b.std() < g.std()


def test_bf16_and_channels_last_give_the_same_dream(tiny, noise_x01):
    ref = dream(noise_x01, _cfg(precision="fp32", channels_last=False), backbone=tiny)
    cl = dream(noise_x01, _cfg(precision="fp32", channels_last=True), backbone=tiny)
    bf = dream(noise_x01, _cfg(precision="bf16"), backbone=tiny)
    assert (cl - ref).abs().mean() < 1e-4
    assert (bf - ref).abs().mean() < 0.02


def test_auto_precision_is_the_default_and_the_engine_records_what_it_resolved_to(tiny, noise_x01, monkeypatch):
    """precision auto (the default) means bf16 exactly where the device has bf16 units, as the
    GAN training's auto does, and the engine's config says which, so outputs record it."""
    import dreamgan.devices as devices

    assert DreamConfig().precision == "auto"
    for native, resolved in ((True, "bf16"), (False, "fp32")):
        monkeypatch.setattr(devices, "bf16_is_native", lambda device, native=native: native)
        engine = DreamEngine(_cfg(), backbone=tiny)
        assert engine.config.precision == resolved, (native, engine.config.precision)
        assert torch.equal(engine.run(noise_x01), DreamEngine(_cfg(precision=resolved), backbone=tiny).run(noise_x01)), \
            f"auto on a device {'with' if native else 'without'} bf16 units must dream exactly as {resolved}"
    assert DreamEngine(_cfg(precision="fp32"), backbone=tiny).config.precision == "fp32"
    with pytest.raises(DreamganError, match="precision must be one of"):
        _cfg(precision="fp16")


def test_mean_abs_step_norm(tiny, noise_x01):
    out = dream(noise_x01, _cfg(step_norm="mean_abs"), backbone=tiny)
    assert not torch.equal(out, noise_x01)


def test_bad_config_and_names_are_clear_errors(tiny):
    with pytest.raises(DreamganError, match="octave scale"):
        DreamConfig(octave_scale=1.0)
    with pytest.raises(DreamganError, match="2 layers but 1 layer weights"):
        DreamConfig(layers=("a", "b"), layer_weights=(1.0,))
    with pytest.raises(BackboneError, match="valid layers"):
        DreamEngine(_cfg(layers=("conv9",)), backbone=tiny)
    with pytest.raises(BackboneError, match="unknown class"):
        DreamEngine(_cfg(class_target="dragon"), backbone=tiny)
    with pytest.raises(DreamganError, match="unknown preset"):
        preset("nope")
    # channel indices a layer lacks: one clear line, not an IndexError mid-dream
    with pytest.raises(DreamganError, match=r"channel 16 is out of range: conv2 has 16 channels \(0..15\)"):
        DreamEngine(_cfg(layers=("conv2",), channels=(3, 16)), backbone=tiny)
    with pytest.raises(DreamganError, match="channel 8 is out of range: conv1 has 8 channels"):
        DreamEngine(_cfg(layers=("conv1", "conv2"), neuron=(8,)), backbone=tiny)
    assert tiny.channels("conv2") == 16 and DreamEngine(_cfg(layers=("conv2",), channels=(15,)), backbone=tiny)


def test_presets_and_recipe_roundtrip():
    cfg = preset("tutorial", steps=3)
    assert cfg.layers == ("mixed_3", "mixed_5") and cfg.steps == 3 and cfg.reduction == "mean"
    assert preset("deep").layers == ("mixed_7",)
    assert DreamConfig.from_dict(cfg.to_dict()) == cfg
    with pytest.raises(DreamganError, match="unknown recipe keys"):
        DreamConfig.from_dict({"stepz": 3})


def test_build_objective_from_config(tiny):
    obj = build_objective(_cfg(layers=("conv1", "conv2"), layer_weights=(1.0, 0.5)), tiny)
    assert isinstance(obj, O.Sum) and obj.layers == ("conv1", "conv2")
    assert isinstance(build_objective(_cfg(top_k=2), tiny), O.TopKChannels)
    assert isinstance(build_objective(_cfg(class_target="2"), tiny), O.ClassLogit)


def test_top_k_picks_the_most_and_least_active_channels(tiny, noise_x01):
    with torch.no_grad():
        means = tiny(noise_x01, ["conv2"])["conv2"].mean((2, 3))
    most = O.TopKChannels("conv2", 2).prepare(tiny, noise_x01).index
    least = O.TopKChannels("conv2", 2, most=False).prepare(tiny, noise_x01).index
    assert set(most[0].tolist()) == set(means[0].topk(2).indices.tolist())
    assert set(least[0].tolist()) == set(means[0].topk(2, largest=False).indices.tolist())
    # more channels than the layer has is refused, never silently clamped
    with pytest.raises(DreamganError, match="top-k 17 is more than the 16 channels of conv2"):
        build_objective(DreamConfig(layers=("conv2",), top_k=17), tiny)


@pytest.mark.slow
def test_class_target_raises_that_logit_on_efficientnet(photo_uint8):
    x = uint8_to_x01(photo_uint8)
    bb = load_backbone("efficientnet-lite0")
    engine = DreamEngine(DreamConfig(backbone="efficientnet-lite0", class_target="goldfish", octaves=1, steps=5, tile=0), backbone=bb)
    with torch.no_grad():  # the engine must still ascend inside a caller's no_grad block
        before = bb(x, ["logits"])["logits"][0, 1]
        after = bb(engine.run(x), ["logits"])["logits"][0, 1]
    assert after > before + 1.0, f"goldfish logit {before:.2f} -> {after:.2f}"


def test_virtual_roll_equals_rolling_the_image(tiny):
    x = torch.rand(1, 3, 150, 170, generator=torch.Generator().manual_seed(2))
    engine = DreamEngine(_cfg(tile=64), backbone=tiny)
    obj = engine.objective.prepare(engine.net, x)
    shift = (37, -51)
    g_virtual, s_virtual = engine.gradient(obj, x, shift)
    g_rolled, s_rolled = engine.gradient(obj, torch.roll(x, shift, (2, 3)))
    assert torch.allclose(g_virtual, torch.roll(g_rolled, (-shift[0], -shift[1]), (2, 3)), atol=1e-7)
    assert abs(s_virtual - s_rolled) < 1e-6


def test_the_callers_image_is_never_modified(tiny, noise_x01):
    x = torch.rand(1, 3, 100, 90)
    before = x.clone()
    dream(x, _cfg(tile=64), backbone=tiny)
    assert torch.equal(x, before)


def test_dreams_work_under_no_grad_and_inference_mode(tiny, noise_x01):
    cfg = DreamConfig(backbone="tiny", layers=("conv2",), octaves=2, steps=2, seed=1)
    plain = dream(noise_x01, cfg, backbone=tiny)
    with torch.no_grad():
        assert torch.equal(dream(noise_x01, cfg, backbone=tiny), plain)
    with torch.inference_mode():
        frozen = noise_x01.clone()  # an inference tensor
        assert torch.equal(dream(frozen, cfg, backbone=tiny), plain)


def test_jitter_average_one_is_the_plain_step_and_more_rolls_give_a_steadier_dream(tiny, noise_x01):
    """--jitter-average K averages each step's gradient over K rolls: K = 1 is the plain engine
    to the bit, and with K = 4 two seeds' dreams of one photo agree more than with K = 1 (less
    of the dream is the rolls' chance)."""
    cfg = _cfg(jitter=8, steps=6, precision="fp32")
    assert torch.equal(DreamEngine(cfg, backbone=tiny).run(noise_x01), DreamEngine(cfg.replace(jitter_average=1), backbone=tiny).run(noise_x01))

    def agreement(k: int) -> float:
        a, b = (DreamEngine(cfg.replace(jitter_average=k, seed=s), backbone=tiny).run(noise_x01) - noise_x01 for s in (0, 1))
        return float(torch.nn.functional.cosine_similarity(a.flatten(), b.flatten(), dim=0))

    assert agreement(4) > agreement(1), (agreement(4), agreement(1))
    with pytest.raises(DreamganError, match="jitter average must be 1..16"):
        _cfg(jitter_average=0)
