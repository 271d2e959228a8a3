"""ClientApp: one SuperNode = one FedMQ trainer; trains its shard for the configured local epochs."""
import torch
from flwr.app import ArrayRecord, Context, Message, MetricRecord, RecordDict
from flwr.clientapp import ClientApp

from fedmq_flower.task import CNN, load_split, read_shards, train_local

app = ClientApp()
_shard_cache = {}


def _shard(config, partition):
    """(x, y) of this SuperNode's shard, kept for as long as the ClientApp process lives."""
    key = (config["shards-file"], partition)
    if key not in _shard_cache:
        x, y = load_split(config["data-dir"], "train", config.get("cache-dir") or None)
        index = torch.tensor(read_shards(config["shards-file"])[partition])
        _shard_cache[key] = (x[index].contiguous(), y[index].contiguous())
    return _shard_cache[key]


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
        "metrics": MetricRecord({"train-loss": loss, "num-examples": samples}),
    })
    return Message(content=content, reply_to=msg)
