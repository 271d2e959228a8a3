#!/usr/bin/env python3
"""Summaries of end-to-end runs, FedMQ's and Flower's, in one form.

  summary.py flower RESULTS_JSON           time to each mark, per-round times (Flower peer)
  summary.py fedmq RUN_DIR                 the same from a `fedmq run` directory (metrics.jsonl)
  summary.py measure OUT_JSON -- CMD ...   runs CMD, records its wall time and the CPU time of
                                           all its descendants (utilisation of the machine's cores)
  summary.py table NAME=KIND:PATH ...      side-by-side table (KIND fedmq or flower)

A run is a list of evaluations (round or version, seconds since the run's clock started,
test accuracy). Time to a mark = the first evaluation at or above it. Seconds per round = the
mean gap between consecutive evaluations after the first (steady state; the first one also
carries start-up: loading data, starting processes) divided by the rounds between them. CPU use
= CPU seconds of the run's processes / (wall seconds × cores): on a machine shared with other
work it shows how much of the machine the run got; CPU s / round is the load-independent cost.
"""
import json
import os
import resource
import subprocess
import sys
import time

MARKS = (0.80, 0.85)


def flower_evaluations(path):
    with open(path) as f:
        results = json.load(f)
    return [(r["round"], r["elapsed"], r["accuracy"]) for r in results["rounds"] if r["round"] > 0]


def fedmq_evaluations(run_dir):
    evaluations = {}
    with open(os.path.join(run_dir, "metrics.jsonl")) as f:
        for line in f:
            record = json.loads(line)
            if record.get("testAccuracy") is not None and record["version"] > 0:
                evaluations.setdefault(record["version"], (record["version"], record["wallTime"], record["testAccuracy"]))
    return sorted(evaluations.values())


def summarize(evaluations, marks=MARKS):
    """Dict: rounds, time to each mark (seconds, round) or None, seconds per round, first evaluation, final accuracy."""
    if not evaluations:
        return {"rounds": 0, "marks": {m: None for m in marks}, "seconds_per_round": None, "first": None, "final_accuracy": None}
    hits = {m: next(((t, r) for r, t, a in evaluations if a >= m), None) for m in marks}
    (r0, t0, _), (r1, t1, a1) = evaluations[0], evaluations[-1]
    return {"rounds": r1, "marks": hits, "seconds_per_round": (t1 - t0) / (r1 - r0) if r1 > r0 else None,
            "first": t0, "final_accuracy": a1}


def flower_cpu(path):
    """CPU seconds of the ClientApps and the ServerApp (Flower's SuperLink, SuperNodes and
    SuperExecs not included: their app processes are not reaped by run.sh), or None."""
    with open(path) as f:
        results = json.load(f)
    clients = [r.get("clientapp_cpu") for r in results["rounds"] if r["round"] > 0]
    if not clients or None in clients or "serverapp_cpu" not in results:
        return None
    wall = results["finished"]
    cpu = sum(clients) + results["serverapp_cpu"]
    return {"wall": wall, "cpu": cpu, "cores": os.cpu_count(), "utilisation": cpu / (wall * os.cpu_count())}


def load(kind, path):
    """The summary of a run; with its CPU time: FedMQ's from measured.json (`measure` around
    `fedmq run`, which reaps every process), Flower's as reported by its app processes."""
    if kind == "flower":
        summary = summarize(flower_evaluations(path))
        summary["measured"] = flower_cpu(path)
        return summary
    summary = summarize(fedmq_evaluations(path))
    measured = os.path.join(path, "measured.json")
    if os.path.exists(measured):
        with open(measured) as f:
            summary["measured"] = json.load(f)
    return summary


def describe(summary):
    lines = []
    for mark, hit in summary["marks"].items():
        lines.append(f"time to {mark:.0%}: " + (f"{hit[0]:.1f} s (round/version {hit[1]})" if hit else "not reached"))
    if summary["seconds_per_round"] is not None:
        lines.append(f"seconds per round (after the first): {summary['seconds_per_round']:.2f}; first evaluation at {summary['first']:.1f} s")
    if summary["final_accuracy"] is not None:
        lines.append(f"final test accuracy: {summary['final_accuracy']:.4f} after {summary['rounds']} rounds/versions")
    return "\n".join(lines)


def measure(out, command):
    start = time.monotonic()
    code = subprocess.call(command)
    wall = time.monotonic() - start
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = usage.ru_utime + usage.ru_stime
    with open("/proc/loadavg") as f:
        load_after = f.read().split()[:3]
    result = {"wall": wall, "cpu": cpu, "cores": os.cpu_count(), "utilisation": cpu / (wall * os.cpu_count()),
              "load_after": load_after, "exit": code}
    with open(out, "w") as f:
        json.dump(result, f)
    print(f"wall {wall:.1f} s, CPU {cpu:.1f} s = {result['utilisation']:.0%} of {os.cpu_count()} cores; load average after: {' '.join(load_after)}")
    return code


def cell(value, fmt):
    return "–" if value is None else fmt.format(value)


def table(entries):
    rows = [("run", "to 80 %", "to 85 %", "s / round", "rounds", "final acc.", "CPU use", "CPU s / round")]
    for name, summary in entries:
        marks = [cell(hit and hit[0], "{:.1f} s") for hit in summary["marks"].values()]
        measured = summary.get("measured")
        rows.append((name, *marks, cell(summary["seconds_per_round"], "{:.2f}"), str(summary["rounds"]),
                     cell(summary["final_accuracy"] and summary["final_accuracy"] * 100, "{:.2f} %"),
                     cell(measured and measured["utilisation"] * 100, "{:.0f} %"),
                     cell(measured and summary["rounds"] and measured["cpu"] / summary["rounds"], "{:.2f}")))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for i, row in enumerate(rows):
        print("| " + " | ".join(c.ljust(w) if j == 0 else c.rjust(w) for j, (c, w) in enumerate(zip(row, widths))) + " |")
        if i == 0:
            print("|" + "|".join("-" * (w + 1) + ("-" if j == 0 else ":") for j, w in enumerate(widths)) + "|")


def main(argv):
    if len(argv) >= 2 and argv[0] in ("flower", "fedmq"):
        print(describe(load(argv[0], argv[1])))
    elif len(argv) >= 3 and argv[0] == "measure" and argv[2] == "--":
        return measure(argv[1], argv[3:])
    elif argv and argv[0] == "table":
        entries = []
        for spec in argv[1:]:
            name, rest = spec.split("=", 1)
            kind, path = rest.split(":", 1)
            if os.path.exists(path):
                entries.append((name, load(kind, path)))
        table(entries)
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
