"""Federate the default CNN with a plain PyTorch training loop (FedMQ's default job).

Run a broker and an aggregator (README, "Starting the processes by hand"), then, once per
trainer:  python3 examples/fashion_mnist_cnn.py --identity torch-1 [--host H] [--model-port P ...]
The trainer learns the run id, registers, trains 50 SGD steps per round on its shard of
Fashion-MNIST (the same samples a Swift trainer with that shard index gets) and leaves when the
aggregator stops the run.
"""
import argparse, logging
import torch, torch.nn.functional as F
from fedmq import TrainerConfig, load_fashion_mnist, shard_indices
from fedmq.models import cnn
from fedmq.pytorch import TorchTrainer

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("--identity", help="stable trainer name (keeps its id and shard across restarts)")
for option, default in [("--host", "127.0.0.1"), ("--model-port", 5556), ("--updates-port", 5557), ("--control-port", 5559)]:
    parser.add_argument(option, default=default, type=type(default), help=f"broker (default {default})")
args = parser.parse_args()
logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
torch.set_num_threads(1)
images, labels = (torch.from_numpy(a) for a in load_fashion_mnist("train"))

def train_round(model, registration, steps=50, batch=32):
    """One local round: 50 SGD steps (lr 0.05, momentum 0.5) on this trainer's shard."""
    shard = torch.from_numpy(shard_indices(registration, labels.numpy()))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.5)
    total = 0.0
    for _ in range(steps):
        pick = shard[torch.randint(len(shard), (batch,))]
        optimizer.zero_grad()
        loss = F.nll_loss(model(images[pick]), labels[pick])
        loss.backward()
        optimizer.step()
        total += loss.item()
    return steps * batch, total / steps

config = TrainerConfig(host=args.host, model_port=args.model_port, updates_port=args.updates_port,
                       control_port=args.control_port, identity=args.identity)
print("run ended:", TorchTrainer(cnn(), train_round, config).run())
