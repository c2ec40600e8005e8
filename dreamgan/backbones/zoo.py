"""torchvision ImageNet models as named-stage chains, with weights from local files only.

dreamgan never downloads. Weights come from `--weights PATH` or from the file torchvision
would have cached (`$TORCH_HOME/hub/checkpoints/<name>.pth`, see `torch.hub.get_dir()`).
With neither, `WeightsNotFoundError` says which file to put where.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

import torch
import torchvision
from torch import nn

from dreamgan.errors import WeightsNotFoundError

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
# GoogLeNet and Inception-v3 ImageNet weights were trained on (x - 0.5) / 0.5 input
# (torchvision applies `transform_input` to undo the ImageNet normalisation).
HALF = (0.5, 0.5, 0.5)

ZOO = {
    # name: (constructor, weights enum, (mean, std))
    "googlenet": ("googlenet", "GoogLeNet_Weights", HALF, HALF),
    "inception_v3": ("inception_v3", "Inception_V3_Weights", HALF, HALF),
    "vgg16": ("vgg16", "VGG16_Weights", IMAGENET_MEAN, IMAGENET_STD),
    "vgg19": ("vgg19", "VGG19_Weights", IMAGENET_MEAN, IMAGENET_STD),
    "resnet18": ("resnet18", "ResNet18_Weights", IMAGENET_MEAN, IMAGENET_STD),
    "resnet34": ("resnet34", "ResNet34_Weights", IMAGENET_MEAN, IMAGENET_STD),
    "resnet50": ("resnet50", "ResNet50_Weights", IMAGENET_MEAN, IMAGENET_STD),
    "resnet101": ("resnet101", "ResNet101_Weights", IMAGENET_MEAN, IMAGENET_STD),
    "resnet152": ("resnet152", "ResNet152_Weights", IMAGENET_MEAN, IMAGENET_STD),
    "mobilenet_v2": ("mobilenet_v2", "MobileNet_V2_Weights", IMAGENET_MEAN, IMAGENET_STD),
}


def imagenet_class_names() -> list[str]:
    """The 1000 ImageNet class names in the standard index order (shipped with torchvision)."""
    return list(torchvision.models.ResNet18_Weights.IMAGENET1K_V1.meta["categories"])


def weights_url(name: str) -> str:
    _, enum_name, _, _ = ZOO[name]
    return getattr(torchvision.models, enum_name).IMAGENET1K_V1.url


def hub_cache_path(name: str) -> Path:
    """Where torchvision caches the ImageNet weights of `name` (the file may not exist)."""
    return Path(torch.hub.get_dir()) / "checkpoints" / os.path.basename(weights_url(name))


def find_weights(name: str, weights: str | os.PathLike | None = None) -> Path:
    """The local weights file for zoo model `name`.

    Raises:
        WeightsNotFoundError: no `weights` given and nothing in the hub cache.
    """
    if weights is not None:
        path = Path(weights)
        if not path.is_file():
            raise WeightsNotFoundError(f"weights file {path} does not exist")
        return path
    path = hub_cache_path(name)
    if path.is_file():
        return path
    raise WeightsNotFoundError(
        f"no weights for {name}: dreamgan never downloads. Fetch {weights_url(name)} on a machine "
        f"with internet and pass it with --weights PATH, or put it at {path}"
    )


def build_arch(name: str, num_classes: int = 1000) -> nn.Module:
    """The torchvision architecture `name` with random weights and no auxiliary heads."""
    ctor: Callable[..., nn.Module] = getattr(torchvision.models, ZOO[name][0])
    kwargs: dict = {"weights": None, "num_classes": num_classes}
    if name in ("googlenet", "inception_v3"):
        kwargs.update(aux_logits=False, init_weights=False)
    return ctor(**kwargs)


def load_state(net: nn.Module, state: dict, source: str) -> None:
    """Load `state` into `net`, ignoring auxiliary-classifier keys; mismatches are user errors."""
    state = {k: v for k, v in state.items() if not k.startswith(("aux1.", "aux2.", "AuxLogits."))}
    try:
        net.load_state_dict(state, strict=True)
    except RuntimeError as e:
        first = str(e).strip().splitlines()
        raise WeightsNotFoundError(f"{source}: weights do not fit this architecture ({first[0][:200]} …)") from None


def named_stages(name: str, net: nn.Module) -> tuple[list[tuple[str, nn.Module]], str]:
    """(stages in execution order, logits stage name) for a torchvision model."""
    flatten = ("flatten", nn.Flatten(1))
    if name.startswith("resnet"):
        stages = [(n, getattr(net, n)) for n in ("conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3", "layer4", "avgpool")]
        return stages + [flatten, ("fc", net.fc)], "fc"
    if name.startswith("vgg"):
        # Caffe-style names (conv4_3, relu5_1, pool5, fc6 …) as in the DeepDream literature.
        stages, block, idx = [], 1, 1
        for m in net.features:
            if isinstance(m, nn.Conv2d):
                stages.append((f"conv{block}_{idx}", m))
            elif isinstance(m, nn.ReLU):
                stages.append((f"relu{block}_{idx}", m))
                idx += 1
            else:
                stages.append((f"pool{block}", m))
                block, idx = block + 1, 1
        c = net.classifier
        stages += [("avgpool", net.avgpool), flatten, ("fc6", c[0]), ("relu6", c[1]), ("drop6", c[2]),
                   ("fc7", c[3]), ("relu7", c[4]), ("drop7", c[5]), ("fc8", c[6])]
        return stages, "fc8"
    if name == "googlenet":
        names = ("conv1", "maxpool1", "conv2", "conv3", "maxpool2", "inception3a", "inception3b", "maxpool3",
                 "inception4a", "inception4b", "inception4c", "inception4d", "inception4e", "maxpool4",
                 "inception5a", "inception5b", "avgpool")
        return [(n, getattr(net, n)) for n in names] + [flatten, ("fc", net.fc)], "fc"
    if name == "inception_v3":
        names = ("Conv2d_1a_3x3", "Conv2d_2a_3x3", "Conv2d_2b_3x3", "maxpool1", "Conv2d_3b_1x1", "Conv2d_4a_3x3",
                 "maxpool2", "Mixed_5b", "Mixed_5c", "Mixed_5d", "Mixed_6a", "Mixed_6b", "Mixed_6c", "Mixed_6d",
                 "Mixed_6e", "Mixed_7a", "Mixed_7b", "Mixed_7c", "avgpool")
        return [(n, getattr(net, n)) for n in names] + [flatten, ("fc", net.fc)], "fc"
    if name == "mobilenet_v2":
        stages = [(f"features.{i}", m) for i, m in enumerate(net.features)]
        return stages + [("avgpool", nn.AdaptiveAvgPool2d(1)), flatten, ("classifier", net.classifier)], "classifier"
    raise KeyError(name)
