"""Peak memory that `delrec plan` predicts against what delrec runs measure, stage by stage.

    plan_memory.py DELREC WORK [--data ML100K] [--smollm2 DIR] CASE...      CASE = MODEL:TP:RECOMPUTE
    MODEL: scratch (the quickstart's backbone, synthetic data), smollm2 (SmolLM2-135M on MovieLens-100K), or a
           Hugging Face folder (run on MovieLens-100K like smollm2, with 5 history items and 10 candidates: the
           random ~1B Llama of make_random_llama.py, docs/plan.md)

Each case runs the recipe for a few steps of stage 1 and stage 2 (`delrec launch -n TP --tp TP -- run ...`) and
reads the largest `peak_memory_bytes` of each stage's metrics.jsonl (rank 0; on CPU the resident set when the stage
started training plus LibTorch's largest allocated total since, core/util/peak_memory.h). It then asks `delrec plan --json` about the same recipe, overrides
and layout, with --tokens-per-example set to the longest micro-batch's mean prompt length the run logged, and
prints one row per stage. Exits 1 when a prediction is off by more than --tolerance (default 10%), 77 when the
MovieLens-100K files a case needs are missing.
"""
import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def overrides_for(model, data, smollm2, work, recompute):
    batch = 4 if model == "scratch" else 2  # one micro-batch per step, so tokens / batch is its mean length
    common = [f"run.out_dir={work}", f"backbone.recompute={recompute}", "stage1.train.steps=2",
              "stage2.train.steps=2", "stage1.train.eval_examples=2", "stage2.train.eval_examples=2",
              "eval.max_users=2", "eval.ablations=[none]", "logging.report=false"]
    common += [f"stage{s}.train.{k}={batch}" for s in (1, 2) for k in ("batch_size", "micro_batch_size")]
    if model == "scratch":
        return "quickstart", None, common + ["data.synthetic.users=60", "teacher.epochs=2", "teacher.max_len=20"]
    folder = smollm2 if model == "smollm2" else model
    recipe = ROOT / "recipes" / "ml100k-delrec-smollm2.yaml"
    common += [f"data.source={data}", f"backbone.path={folder}", "teacher.epochs=1", "teacher.eval_every=1"]
    if model != "smollm2":  # a larger model: half the prompt (~250 tokens) keeps a case to a few minutes on 2 cores
        common += ["prompt.max_history_items=5", "data.num_candidates=10"]
    return "run", recipe, common


def measured(work, stage, batch):
    """(largest peak_memory_bytes, largest peak_rss_bytes, the longest step's tokens per example) over a stage's
    metrics lines."""
    peak, rss, tokens = 0, 0, 0
    for line in (work / stage / "metrics.jsonl").read_text().splitlines():
        m = json.loads(line)
        peak = max(peak, m["peak_memory_bytes"])
        rss = max(rss, m.get("peak_rss_bytes", 0))
        # A stage-1 step trains TA and RPS one after the other, each its own micro-batch with its own backward.
        tasks = max(1, sum(1 for k in m if k in ("loss_ta", "loss_rps")))
        tokens = max(tokens, m["tokens"] // (batch * tasks))
    return peak, rss, tokens


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("delrec")
    ap.add_argument("work", type=Path)
    ap.add_argument("cases", nargs="+")
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "ml-100k"))
    ap.add_argument("--smollm2", default="")
    ap.add_argument("--tolerance", type=float, default=0.10)
    a = ap.parse_args()
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1", OMP_NUM_THREADS="1")
    rows, worst = [], 0.0
    for case in a.cases:
        model, tp, recompute = case.split(":")
        tp = int(tp.removeprefix("tp"))
        if model != "scratch" and not (Path(a.data) / "u.data").exists():
            print(f"SKIP: {case} needs MovieLens-100K in {a.data} (--data)")
            return 77
        work = a.work / case.replace(":", "-").replace("/", "_")
        subprocess.run(["rm", "-rf", str(work)], check=True)
        command, recipe, overrides = overrides_for(model, a.data, a.smollm2, work, recompute)
        args = [a.delrec, "launch", "-n", str(tp), "--tp", str(tp), "--", command]
        args += ([str(recipe)] if recipe else []) + overrides
        run = subprocess.run(args, env=env, capture_output=True, text=True)
        if run.returncode != 0:
            print(run.stdout[-4000:], run.stderr[-4000:])
            print(f"FAIL: {case}: delrec exited {run.returncode}")
            return 1
        batch = 4 if model == "scratch" else 2
        for stage in ("stage1", "stage2"):
            peak, rss, tokens = measured(work, stage, batch)
            plan_args = [a.delrec, "plan", str(recipe) if recipe else str(ROOT / "recipes" / "quickstart.yaml"),
                         *overrides, "--json", "--gpu", "cpu", "--nodes", "1", "--gpus-per-node", str(tp),
                         "--tokens-per-example", str(tokens)]
            plan = json.loads(subprocess.run(plan_args, env=env, capture_output=True, text=True, check=True).stdout)
            layout = next(l for l in plan["layouts"] if l["tp"] == tp)
            predicted = layout["stages"][stage]["peak_bytes_per_rank"]
            error = predicted / peak - 1
            worst = max(worst, abs(error))
            rows.append((model if model in ("scratch", "smollm2") else Path(model).name, tp, recompute, stage, tokens,
                         predicted, peak, rss, error))
    print("| model | tp | recompute | stage | tokens/example | predicted GiB | measured GiB | error | peak RSS GiB |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for m, tp, rc, st, tok, p, q, r, e in rows:
        print(f"| {m} | {tp} | {rc} | {st} | {tok} | {p / 2**30:.3f} | {q / 2**30:.3f} | {100 * e:+.1f}% | "
              f"{r / 2**30:.3f} |")
    if worst > a.tolerance:
        print(f"FAIL: a prediction is {100 * worst:.1f}% off (tolerance {100 * a.tolerance:.0f}%)")
        return 1
    print(f"every prediction within {100 * a.tolerance:.0f}% (worst {100 * worst:.1f}%)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
