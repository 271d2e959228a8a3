"""Federate a ``torch.nn.Module`` with the user's own training loop.

Why this file exists: most models to federate already exist in PyTorch with a training loop
their owners trust. The helper turns that loop into a FedMQ trainer: before every local round it
loads the newest global version into the module (``load_state_dict``), runs the user's function,
and pushes ``local − base``; it optionally evaluates each new global version with the user's
function; everything on the wire is the ``Trainer``'s.

Buffers and other tensors — the rule: the tensors the aggregator's model carries (the names in
its ``model`` broadcast) are *federated*: loaded at every round and sent as float32 deltas (a
module tensor of another float dtype is converted both ways). Every other ``state_dict`` entry
(batch-norm running statistics, ``num_batches_tracked``, any buffer the aggregator's model has
no tensor for) is *local*: never sent, never overwritten, kept from round to round. A global
tensor the module lacks, or has in another shape, is a layout mismatch and stops the trainer.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import threading
import warnings
from typing import Any, Callable, Dict, Mapping, Optional, Tuple

import numpy as np
import torch
from torch import nn

from .codec import Registration
from .config import TrainerConfig
from .crc32c import crc32c
from .errors import FedMQError
from .payload import Layout
from .trainer import Round, RoundResult, Trainer

LOG = logging.getLogger("fedmq")

TrainRound = Callable[[nn.Module, Registration], Tuple[int, float]]
"""Trains the module for one local round on the registration's shard; returns (samples, mean loss)."""
Evaluate = Callable[[nn.Module], Any]
"""Evaluates the module (holding a global version); returns a figure to log, e.g. the accuracy,
or, to answer the aggregator's federated evaluation requests, a mapping
``{"accuracy": fraction, "loss": mean loss, "samples": count}`` over local data."""


class TorchTrainer:
    """A FedMQ trainer around a PyTorch module.

    Args:
        model: the module to federate (its federated tensors must match the aggregator's model).
        train_round: trains `model` for one local round; gets the registration (shard).
        config: endpoints, identity, timing.
        evaluate: optional; called on each new global version (every `evaluate_every`).
        evaluate_every: evaluate versions that are multiples of this (≥ 1).
    """

    def __init__(self, model: nn.Module, train_round: TrainRound, config: Optional[TrainerConfig] = None,
                 evaluate: Optional[Evaluate] = None, evaluate_every: int = 1) -> None:
        self.model = model
        self.train_round = train_round
        self.evaluate = evaluate
        self.evaluate_every = max(1, evaluate_every)
        self.trainer = Trainer(config or TrainerConfig())
        self.evaluations: Dict[int, Any] = {}
        self._checked: Optional[Layout] = None

    def run(self, handle_signals: bool = True) -> str:
        """Trains until the run stops (returns the aggregator's reason) or SIGINT/SIGTERM
        (returns ``"shutdown"``; the trainer says goodbye)."""
        previous = {}
        if handle_signals and threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                previous[sig] = signal.signal(sig, lambda *_: self.trainer.stop())
        try:
            return self.trainer.run(self._round)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _round(self, work: Round) -> RoundResult:
        state = self.model.state_dict()
        self._check_layout(work.weights.layout, state)
        self._answer_evaluation_request()
        load_weights(self.model, work.weights.tensors)
        if self.evaluate is not None and work.version not in self.evaluations \
                and work.version % self.evaluate_every == 0:
            self.model.eval()
            with torch.no_grad():
                self.evaluations[work.version] = self.evaluate(self.model)
            LOG.info("global version %d evaluated: %s", work.version, self.evaluations[work.version])
        self.model.train()
        samples, loss = self.train_round(self.model, work.registration)
        local = {name: _as_numpy(state[name]) for name in work.weights.layout.names}
        return RoundResult(local, int(samples), float(loss))

    def _answer_evaluation_request(self) -> None:
        """Federated evaluation: when the aggregator asked for a version's evaluation, loads that
        version, runs the user's `evaluate` and reports its ``accuracy``, ``loss`` and
        ``samples`` (a mapping with those keys; any other result is only logged)."""
        pending = self.trainer.take_evaluation()
        if pending is None or self.evaluate is None:
            return
        version, weights = pending
        load_weights(self.model, weights.tensors)
        self.model.eval()
        with torch.no_grad():
            figures = self.evaluate(self.model)
        if isinstance(figures, Mapping) and {"accuracy", "loss", "samples"} <= set(figures):
            self.trainer.report_evaluation(version, int(figures["samples"]), float(figures["loss"]),
                                           float(figures["accuracy"]))
            LOG.info("federated evaluation of version %d: %s", version, figures)
        else:
            LOG.warning("evaluate returned %r, not a mapping with accuracy, loss and samples: "
                        "nothing reported to the aggregator", figures)

    def _check_layout(self, layout: Layout, state: Dict[str, torch.Tensor]) -> None:
        if self._checked == layout:
            return
        problems = [f"{name}{list(shape)} (module: {list(state[name].shape) if name in state else 'missing'})"
                    for name, shape in zip(layout.names, layout.shapes)
                    if name not in state or tuple(state[name].shape) != shape]
        if problems:
            raise FedMQError("the aggregator's model has tensors this module does not: " + ", ".join(problems),
                             code="layout_mismatch")
        local = [name for name in state if name not in layout.names]
        if local:
            LOG.info("tensors kept local (not in the aggregator's model): %s", ", ".join(local))
        self._checked = layout


def _as_numpy(tensor: torch.Tensor) -> np.ndarray:
    """A float32 numpy view of a module tensor (a converted copy for other dtypes or devices)."""
    tensor = tensor.detach()
    if tensor.dtype != torch.float32 or tensor.device.type != "cpu":
        tensor = tensor.to("cpu", torch.float32)
    return tensor.numpy()


def load_weights(model: nn.Module, tensors: Dict[str, np.ndarray]) -> None:
    """Copies `tensors` (name → array) into the module's tensors of those names; others untouched."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # read-only views of the received frame: copied here
        incoming = {name: torch.from_numpy(np.asarray(array)) for name, array in tensors.items()}
    unexpected = model.load_state_dict(incoming, strict=False).unexpected_keys
    if unexpected:
        raise FedMQError(f"tensors {unexpected} are not in the module", code="layout_mismatch")


def latest_checkpoint(directory: str) -> str:
    """The ``model.safetensors`` of the newest checkpoint in an aggregator's ``--checkpoint-dir``
    whose manifest CRC-32C verifies (as the aggregator picks one to resume from)."""
    candidates = sorted((name for name in os.listdir(directory) if name.startswith("ckpt-")), reverse=True)
    for name in candidates:
        folder = os.path.join(directory, name)
        try:
            with open(os.path.join(folder, "MANIFEST.json"), encoding="utf-8") as handle:
                manifest = json.load(handle)
            with open(os.path.join(folder, "model.safetensors"), "rb") as handle:
                data = handle.read()
        except (OSError, ValueError):
            continue
        if int(manifest.get("model.safetensors", "-1"), 16) == crc32c(data):
            return os.path.join(folder, "model.safetensors")
    raise FileNotFoundError(f"no checkpoint in {directory} verifies")


def load_checkpoint(model: nn.Module, path: str, strict: bool = True) -> int:
    """Loads an aggregator checkpoint (a ``model.safetensors`` file, or a checkpoint directory:
    its newest verified checkpoint) into `model` with ``load_state_dict(strict=…)``; returns
    the checkpoint's model version."""
    from safetensors import safe_open

    if os.path.isdir(path):
        path = latest_checkpoint(path)
    with safe_open(path, framework="pt") as handle:
        state = {name: handle.get_tensor(name) for name in handle.keys()}
        metadata = handle.metadata() or {}
    model.load_state_dict(state, strict=strict)
    return int(metadata.get("fedmq.version", "0"))
