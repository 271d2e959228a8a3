"""FedMQ's built-in models as PyTorch modules, with the Swift parameter names and order.

Why this file exists: an aggregator started with ``--model cnn`` (the default) or ``mlp``, or a
description such as ``"flatten, fc 100, relu, fc 10, log_softmax"``, federates exactly the
tensors its Swift ``ModelDescription`` builds; these modules have the same ``state_dict`` names
(conv1, conv2, …, fc1, fc2, …), shapes and order, and compute the same function, so their
weights load the global model as is. Needs PyTorch.
"""

from __future__ import annotations

import functools
from typing import Callable, List, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import nn

#: The default CNN (PyTorch's MNIST example without dropout): 21 840 parameters.
CNN = "conv 10 5, pool 2, relu, conv 20 5, pool 2, relu, flatten, fc 50, relu, fc 10, log_softmax"
#: The MLP: 199 210 parameters.
MLP = "flatten, fc 200, relu, fc 200, relu, fc 10, log_softmax"


class DescribedModel(nn.Module):
    """A sequential model from a FedMQ model description (see ``ModelDescription`` in Swift):
    ``conv OUT K [stride S] [pad P]``, ``fc OUT``, ``pool K [stride S]``, ``relu``, ``flatten``,
    ``dropout P``, ``log_softmax``, comma-separated, on inputs of `input_shape` (C, H, W)."""

    def __init__(self, description: str, input_shape: Sequence[int] = (1, 28, 28)) -> None:
        super().__init__()
        self.description = description
        self._steps: List[Callable[[torch.Tensor], torch.Tensor]] = []
        shape = tuple(input_shape)
        counts = {"conv": 0, "fc": 0}
        for index, item in enumerate(part.split() for part in description.lower().split(",")):
            shape = self._add(item, shape, counts, index)

    def _add(self, words: List[str], shape: Tuple[int, ...], counts: dict, index: int) -> Tuple[int, ...]:
        kind, args = words[0], words[1:]
        options = {args[i]: int(args[i + 1]) for i in range(len(args) % 2, len(args) - 1, 2)}
        if kind == "conv":
            counts["conv"] += 1
            out, k = int(args[0]), int(args[1])
            stride, pad = options.get("stride", 1), options.get("pad", 0)
            conv = nn.Conv2d(shape[0], out, k, stride=stride, padding=pad)
            setattr(self, f"conv{counts['conv']}", conv)
            self._steps.append(conv)
            return (out, (shape[1] + 2 * pad - k) // stride + 1, (shape[2] + 2 * pad - k) // stride + 1)
        if kind in ("fc", "linear"):
            counts["fc"] += 1
            features = 1
            for d in shape:
                features *= d
            layer = nn.Linear(features, int(args[0]))
            setattr(self, f"fc{counts['fc']}", layer)
            self._steps.append(layer)
            return (int(args[0]),)
        if kind in ("pool", "maxpool", "max_pool2d"):
            k = int(args[0])
            stride = options.get("stride", k)
            self._steps.append(functools.partial(F.max_pool2d, kernel_size=k, stride=stride))
            return (shape[0], (shape[1] - k) // stride + 1, (shape[2] - k) // stride + 1)
        if kind == "dropout":
            self._steps.append(nn.Dropout(float(args[0])))
            setattr(self, f"dropout{index}", self._steps[-1])
            return shape
        simple = {"relu": F.relu, "flatten": lambda x: torch.flatten(x, 1),
                  "log_softmax": lambda x: F.log_softmax(x, dim=1), "logsoftmax": lambda x: F.log_softmax(x, dim=1)}
        if kind not in simple:
            raise ValueError(f"cannot read '{' '.join(words)}' in model description {self.description!r}")
        self._steps.append(simple[kind])
        if kind == "flatten":
            features = 1
            for d in shape:
                features *= d
            return (features,)
        return shape

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Runs the steps in order; the output is log-probabilities for the built-in models."""
        for step in self._steps:
            x = step(x)
        return x


def cnn() -> DescribedModel:
    """The aggregator's default model ``cnn``."""
    return DescribedModel(CNN)


def mlp() -> DescribedModel:
    """The aggregator's model ``mlp``."""
    return DescribedModel(MLP)


def named(name: str) -> DescribedModel:
    """``cnn``, ``mlp``, or a description (any text with a comma), as the aggregator's ``--model``."""
    if name in ("cnn", "mlp"):
        return cnn() if name == "cnn" else mlp()
    if "," in name:
        return DescribedModel(name)
    raise ValueError(f"unknown model '{name}'; valid models: cnn, mlp or a description")
