"""ClientApp: one SuperNode = one FedMQ trainer; trains its shard for the configured local epochs."""
import resource

import torch
from flwr.app import ArrayRecord, Context, Message, MetricRecord, RecordDict
from flwr.clientapp import ClientApp

from fedmq_flower.task import CNN, load_shard, train_local

app = ClientApp()
_shards = {}


def _shard(config, partition):
    """(x, y) of this SuperNode's shard, kept for as long as the ClientApp process lives (Flower
    1.42 starts one per round: then the per-shard cache file saves the IDX decoding)."""
    key = (config["shards-file"], partition)
    if key not in _shards:
        _shards[key] = load_shard(config["data-dir"], config["shards-file"], partition, config.get("cache-dir") or None)
    return _shards[key]


def _cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@app.train()
def train(msg: Message, context: Context):
    config = context.run_config
    torch.set_num_threads(int(config["torch-threads"]))
    partition = int(context.node_config["partition-id"])
    x, y = _shard(config, partition)
    model = CNN()
    model.load_state_dict(msg.content["arrays"].to_torch_state_dict())
    server_round = int(msg.content["config"]["server-round"])
    seed = int(config["seed"]) * 1_000_003 + partition * 1_009 + server_round
    loss, samples = train_local(model, x, y, int(config["local-epochs"]), int(config["batch-size"]),
                                float(config["lr"]), float(config["momentum"]), seed)
    content = RecordDict({
        "arrays": ArrayRecord(model.state_dict()),
        # CPU seconds of this ClientApp process so far (start-up, imports, data, training).
        "metrics": MetricRecord({"train-loss": loss, "num-examples": samples, "cpu-seconds": _cpu_seconds()}),
    })
    return Message(content=content, reply_to=msg)
