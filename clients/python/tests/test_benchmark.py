"""The overhead benchmark runs and reports every stage (its figures are printed, not asserted).

Why this file exists: benchmarks/overhead.py is how the package's per-update cost is measured;
this keeps it working as the package changes, on a tiny model.
"""

import importlib.util
from pathlib import Path

from fedmq.models import DescribedModel

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "overhead.py"


def test_overhead_benchmark_measures_each_stage_of_an_update():
    spec = importlib.util.spec_from_file_location("overhead", SCRIPT)
    overhead = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(overhead)
    stages, round_seconds, size = overhead.measure(DescribedModel("flatten, fc 10, log_softmax"), repeats=1, steps=1)
    assert len(stages) == 4 and all(seconds > 0 for seconds in stages.values()) and round_seconds > 0
    assert size > 4 * 7850  # the payload holds every parameter
    lines = overhead.report("tiny", stages, round_seconds, size)
    assert len(lines) == 6 and all(stage in "\n".join(lines) for stage in stages)
