"""Reads a delrec run's TensorBoard event files back with the tensorboard package and checks them against the
run's metrics files: every number of every metrics line (teacher/<model>.metrics.jsonl, <stage>/metrics.jsonl) is a
scalar of <run>/tensorboard/<step>/ with the same tag, step and value (as float32, TensorBoard's scalar type), once
and only once, in increasing step order across the event files (so a resumed stage neither repeats nor rewinds),
and the results table is the text of <run>/tensorboard/eval/.

With --serve it also starts `tensorboard --logdir RUN_DIR/tensorboard` and asks its HTTP API for every run, tag
and point, as the dashboard does.

usage: tensorboard_check.py RUN_DIR [--serve]    exit 0 when every check holds; prints each failure otherwise
"""
import json
import pathlib
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request

import numpy as np
from tensorboard.backend.event_processing import event_accumulator
from tensorboard.backend.event_processing.event_file_loader import LegacyEventFileLoader


def scalars_of(line):
    """The (tag, value) pairs of one metrics line, by delrec's rule (core/tensorboard/summary_writer.h)."""
    out = []

    def flatten(tag, value):
        if isinstance(value, bool):
            return
        if isinstance(value, (int, float)):
            out.append((tag, float(value)))
        elif isinstance(value, dict):
            for k, v in value.items():
                flatten(f"{tag}/{k}", v)
        elif isinstance(value, list):
            for i, v in enumerate(value):
                flatten(f"{tag}/{i}", v)

    for key, value in line.items():
        if key not in ("step", "epoch"):
            flatten(key, value)
    return out


def expected_scalars(jsonl, counter):
    """{tag: [(step, value), ...]} from a metrics file."""
    expected = {}
    for text in jsonl.read_text().splitlines():
        if not text.strip():
            continue
        line = json.loads(text)
        for tag, value in scalars_of(line):
            expected.setdefault(tag, []).append((line[counter], value))
    return expected


def raw_events(folder):
    """(file, step, tag, value) of every scalar, in the order TensorBoard reads the files (by name)."""
    out = []
    for path in sorted(folder.glob("events.out.tfevents.*")):
        for event in LegacyEventFileLoader(str(path)).Load():
            if event.HasField("summary"):
                for v in event.summary.value:
                    if v.HasField("simple_value"):
                        out.append((path.name, event.step, v.tag, v.simple_value))
    return out


def check_step(folder, jsonl, counter, failures):
    expected = expected_scalars(jsonl, counter)
    if not folder.is_dir():
        failures.append(f"{folder}: missing (metrics in {jsonl})")
        return 0
    events = raw_events(folder)
    seen = {}
    last_step = {}
    for name, step, tag, value in events:
        seen.setdefault(tag, []).append((step, value))
        if tag in last_step and step <= last_step[tag]:
            failures.append(f"{folder.name}/{name}: {tag} step {step} after step {last_step[tag]} (repeated or rewound)")
        last_step[tag] = step
    for tag, points in expected.items():
        got = seen.get(tag, [])
        if [s for s, _ in got] != [s for s, _ in points]:
            failures.append(f"{folder.name}: {tag} has steps {[s for s, _ in got]}, {jsonl.name} has {[s for s, _ in points]}")
            continue
        for (step, want), (_, have) in zip(points, got):
            if np.float32(want) != np.float32(have):
                failures.append(f"{folder.name}: {tag} at step {step} is {have}, {jsonl.name} says {want}")
    extra = set(seen) - set(expected)
    if extra:
        failures.append(f"{folder.name}: tags not in {jsonl.name}: {sorted(extra)}")
    # What TensorBoard itself shows: its accumulator loads the same folder and finds every tag with every point.
    acc = event_accumulator.EventAccumulator(str(folder), size_guidance={event_accumulator.SCALARS: 0})
    acc.Reload()
    for tag, points in expected.items():
        shown = [(e.step, e.value) for e in acc.Scalars(tag)] if tag in acc.Tags()["scalars"] else []
        if [s for s, _ in shown] != [s for s, _ in points]:
            failures.append(f"{folder.name}: TensorBoard shows {tag} at steps {[s for s, _ in shown]}")
    return sum(len(p) for p in expected.values())


def check_server(board, expected_runs, failures):
    """`tensorboard --logdir board`: every run and tag of the files is served with every step."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "tensorboard.main", "--logdir", str(board), "--host",
                               "127.0.0.1", "--port", str(port), "--load_fast=false"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    served_points = 0
    try:
        tags = None
        for _ in range(120):
            try:
                tags = json.load(urllib.request.urlopen(base + "/data/plugin/scalars/tags", timeout=5))
                if set(tags) >= set(expected_runs):
                    break
            except OSError:
                pass
            time.sleep(0.5)
        if tags is None or not set(tags) >= set(expected_runs):
            failures.append(f"tensorboard serves runs {sorted(tags or [])}, expected {sorted(expected_runs)}")
            return
        for run, expected in expected_runs.items():
            for tag, points in expected.items():
                query = urllib.parse.urlencode({"run": run, "tag": tag})
                served = json.load(urllib.request.urlopen(f"{base}/data/plugin/scalars/scalars?{query}", timeout=10))
                served_points += len(served)
                if [p[1] for p in served] != [s for s, _ in points]:
                    failures.append(f"tensorboard serves {run}/{tag} at steps {[p[1] for p in served]}")
        print(f"tensorboard --logdir {board} served {len(tags)} runs, {served_points} points")
    finally:
        server.terminate()
        server.wait()


def main():
    run = pathlib.Path(sys.argv[1])
    board = run / "tensorboard"
    failures = []
    checked = []
    expected_runs = {}
    for jsonl in sorted((run / "teacher").glob("*.metrics.jsonl")):
        checked.append(("teacher", check_step(board / "teacher", jsonl, "epoch", failures)))
        expected_runs["teacher"] = expected_scalars(jsonl, "epoch")
    for jsonl in sorted(run.glob("*/metrics.jsonl")):
        checked.append((jsonl.parent.name, check_step(board / jsonl.parent.name, jsonl, "step", failures)))
        expected_runs[jsonl.parent.name] = expected_scalars(jsonl, "step")
    if "--serve" in sys.argv[2:]:
        check_server(board, expected_runs, failures)
    if not checked or not any(n for _, n in checked):
        failures.append(f"{run}: no metrics lines to check")
    results_md = run / "eval" / "results.md"
    if results_md.exists():
        acc = event_accumulator.EventAccumulator(str(board / "eval"), size_guidance={event_accumulator.TENSORS: 0})
        acc.Reload()
        texts = [e.tensor_proto.string_val[0].decode() for e in acc.Tensors("results")] \
            if "results" in acc.Tags()["tensors"] else []
        if texts != [results_md.read_text()]:
            failures.append(f"tensorboard/eval: the results text {texts[:1]} is not eval/results.md")
    for f in failures:
        print("FAIL", f)
    print("checked", ", ".join(f"{name} {n} scalars" for name, n in checked))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
