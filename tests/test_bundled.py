"""The bundled generator: shipped in the package, loaded offline with weights_only, dreams any size."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from dreamgan.fast import load_generator, write_fast_dreams
from dreamgan.fast.bundled import BUNDLED_GENERATOR, MAX_BUNDLED_BYTES


def test_the_bundled_generator_is_small_safe_and_self_describing():
    assert BUNDLED_GENERATOR.is_file(), "dreamgan/weights/fast_dream.pt ships with the package"
    assert BUNDLED_GENERATOR.stat().st_size <= MAX_BUNDLED_BYTES
    ckpt = torch.load(BUNDLED_GENERATOR, map_location="cpu", weights_only=True)  # no pickled code
    assert ckpt["arch"] == "pix2pix" and ckpt["config"]["noise"] > 0 and ckpt["recipe"]["layers"] == ["mixed_3", "mixed_5"]
    assert {"d", "opt_g", "opt_d"}.isdisjoint(ckpt), "inference-only"
    assert ckpt["provenance"]["evaluate"]["rows"]["generator"]["n"] >= 8, "its held-out evaluation travels with it"


@pytest.mark.parametrize("size", [(299, 299), (173, 241)])
def test_the_bundled_generator_dreams_offline_any_size_and_its_seed_picks_the_dream(size, photo_uint8, tmp_path):
    from dreamgan.images import resize_uint8

    photo = tmp_path / "photo.png"
    Image.fromarray(resize_uint8(photo_uint8, size[::-1])).save(photo)  # (W, H)
    dreams = []
    for seed in (0, 0, 7):
        written, failed = write_fast_dreams(None, [photo], tmp_path / f"out{len(dreams)}", seed=seed)
        assert not failed
        dreams.append(np.asarray(Image.open(written[0])).astype(int))
    assert dreams[0].shape == (*size, 3)
    assert np.array_equal(dreams[0], dreams[1]), "same seed, same pixels"
    assert np.abs(dreams[0] - dreams[2]).mean() > 1.0, "another seed, another dream"
    assert np.abs(dreams[0] - np.asarray(Image.open(photo)).astype(int)).mean() > 2.0, "it changes the photo"
    g, cfg, ckpt = load_generator(None)
    assert ckpt["path"] == str(BUNDLED_GENERATOR) and not g.training


def test_the_bundled_generator_is_a_starting_point_for_fine_tuning():
    # `dreamgan train --init-g bundled`: the dream preset's generator takes the bundled weights
    # as they are; another shape is refused with the option that differs.
    from dreamgan.errors import DreamganError
    from dreamgan.models.checkpoint import build_networks
    from dreamgan.models.config import TrainConfig
    from dreamgan.training.gan import _init_generator_state

    cfg = TrainConfig.from_preset("dream", data="unused", init_g="bundled")
    g, _ = build_networks(cfg)
    g.load_state_dict(_init_generator_state(cfg))  # strict: every tensor fits
    bundled = torch.load(BUNDLED_GENERATOR, map_location="cpu", weights_only=True)["g"]
    assert all(torch.equal(v, bundled[k]) for k, v in g.state_dict().items())
    with pytest.raises(DreamganError, match="its depth is 5, this run's is 4"):
        _init_generator_state(TrainConfig.from_preset("dream", data="unused", init_g="bundled", depth=4))
