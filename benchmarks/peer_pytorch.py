#!/usr/bin/env python3
"""PyTorch peer benchmark for `fedmq bench`: training samples/s of the same models on one thread.

Models (as in FedMQ's TensorCore): "cnn" = conv1(1->10,k5) -> max_pool2d(2) -> relu ->
conv2(10->20,k5) -> max_pool2d(2) -> relu -> flatten -> fc1(320->50) -> relu -> fc2(50->10)
-> log_softmax; "mlp" = fc1(784->200) -> relu -> fc2(200->200) -> relu -> fc3(200->10) -> log_softmax.
Training step: forward, NLL loss (mean), backward, SGD(lr=0.01, momentum=0.5), batch 64,
on seeded random inputs (normalised-image-like N(0,1)) and labels. Warm-up steps are untimed;
the best of several timed rounds is reported.

Usage: python3 benchmarks/peer_pytorch.py [--json] [--batch-size 64] [--seconds 2] [--clock wall|cpu]
"""
import argparse
import json
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class CNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 10, 5)
        self.conv2 = nn.Conv2d(10, 20, 5)
        self.fc1 = nn.Linear(320, 50)
        self.fc2 = nn.Linear(50, 10)

    def forward(self, x):
        x = F.relu(F.max_pool2d(self.conv1(x), 2))
        x = F.relu(F.max_pool2d(self.conv2(x), 2))
        x = F.relu(self.fc1(x.flatten(1)))
        return F.log_softmax(self.fc2(x), dim=1)


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 200)
        self.fc2 = nn.Linear(200, 200)
        self.fc3 = nn.Linear(200, 10)

    def forward(self, x):
        x = F.relu(self.fc1(x.flatten(1)))
        x = F.relu(self.fc2(x))
        return F.log_softmax(self.fc3(x), dim=1)


def samples_per_second(model, batch_size, seconds, clock, warmup=20, rounds=3):
    gen = torch.Generator().manual_seed(0)
    batches = [(torch.randn(batch_size, 1, 28, 28, generator=gen),
                torch.randint(0, 10, (batch_size,), generator=gen)) for _ in range(8)]
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.5)

    def step(i):
        x, y = batches[i % len(batches)]
        opt.zero_grad()
        loss = F.nll_loss(model(x), y)
        loss.backward()
        opt.step()

    for i in range(warmup):
        step(i)
    # Calibrate the number of steps per round to about `seconds`.
    start = clock()
    n = 0
    while clock() - start < 0.2:
        step(n)
        n += 1
    steps = max(1, int(n * seconds / 0.2 / rounds))
    best = 0.0
    for _ in range(rounds):
        start = clock()
        for i in range(steps):
            step(i)
        best = max(best, steps * batch_size / (clock() - start))
    return best


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=2.0, help="timed seconds per model")
    parser.add_argument("--clock", choices=["wall", "cpu"], default="wall",
                        help="wall: perf_counter; cpu: thread CPU time (for a busy machine)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    clock = time.perf_counter if args.clock == "wall" else time.thread_time
    result = {
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "batch_size": args.batch_size,
        "clock": args.clock,
        "cnn_samples_per_s": samples_per_second(CNN(), args.batch_size, args.seconds, clock),
        "mlp_samples_per_s": samples_per_second(MLP(), args.batch_size, args.seconds, clock),
    }
    if args.json:
        print(json.dumps(result))
    else:
        print(f"PyTorch {result['torch']}, {result['threads']} thread, batch {args.batch_size}")
        print(f"  cnn: {result['cnn_samples_per_s']:.0f} samples/s")
        print(f"  mlp: {result['mlp_samples_per_s']:.0f} samples/s")


if __name__ == "__main__":
    main()
