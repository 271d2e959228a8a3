"""ServerApp: FedAvg over every SuperNode each round, centralized evaluation on the test set after
each round, stop at the target accuracy or after max-rounds; times written as JSON."""
import json
import os
import resource
import time

import torch
from flwr.app import ArrayRecord, ConfigRecord, Context
from flwr.serverapp import Grid, ServerApp
from flwr.serverapp.strategy import FedAvg

from fedmq_flower.task import CNN, evaluate, initial_model, load_split

app = ServerApp()


def _write(path, results):
    tmp = f"{path}.tmp"
    with open(tmp, "w") as f:
        json.dump(results, f, indent=1)
    os.replace(tmp, path)


@app.main()
def main(grid: Grid, context: Context) -> None:
    start = time.time()
    config = context.run_config
    torch.set_num_threads(int(config["torch-threads"]))
    nodes = int(config["num-supernodes"])
    target = float(config["target-accuracy"])
    # Flower's FedAvg: every node trains each round, the average is weighted by num-examples.
    strategy = FedAvg(fraction_train=1.0, fraction_evaluate=0.0, min_train_nodes=nodes, min_available_nodes=nodes)
    x_test, y_test = load_split(config["data-dir"], "t10k", config.get("cache-dir") or None)
    arrays = ArrayRecord(initial_model(int(config["seed"])).state_dict())
    model = CNN()

    def centralized(server_round, arrays):
        model.load_state_dict(arrays.to_torch_state_dict())
        return evaluate(model, x_test, y_test)

    accuracy, loss = centralized(0, arrays)
    results = {"flwr": __import__("flwr").__version__, "torch": torch.__version__, "config": dict(config),
               "start": start, "rounds": [{"round": 0, "elapsed": time.time() - start, "accuracy": accuracy, "loss": loss}]}
    print(f"round 0: test accuracy {accuracy:.4f}", flush=True)
    for server_round in range(1, int(config["max-rounds"]) + 1):
        round_start = time.time()
        replies = grid.send_and_receive(
            messages=strategy.configure_train(server_round, arrays, ConfigRecord(), grid),
            timeout=float(config["round-timeout"]))
        aggregated, metrics = strategy.aggregate_train(server_round, replies)
        if aggregated is None:
            raise RuntimeError(f"round {server_round}: no training replies")
        arrays = aggregated
        accuracy, loss = centralized(server_round, arrays)
        now = time.time()
        results["rounds"].append({"round": server_round, "elapsed": now - start, "seconds": now - round_start,
                                  "accuracy": accuracy, "loss": loss,
                                  "train_loss": float(metrics["train-loss"]) if metrics else None,
                                  # ClientApp processes' CPU seconds (mean reported × nodes; all shards are equal)
                                  "clientapp_cpu": float(metrics["cpu-seconds"]) * nodes if metrics else None})
        _write(config["results"], results)
        print(f"round {server_round}: {now - round_start:.1f} s, test accuracy {accuracy:.4f}, "
              f"elapsed {now - start:.1f} s", flush=True)
        if accuracy >= target:
            break
    usage = resource.getrusage(resource.RUSAGE_SELF)
    results["serverapp_cpu"] = usage.ru_utime + usage.ru_stime
    results["finished"] = time.time() - start
    _write(config["results"], results)
