#!/usr/bin/env python3
"""PEFT round trip, both ways, against the built delrec:

    peft_round_trip.py DELREC WORK_DIR

1. delrec trains an adapter: a shrunk `delrec quickstart` (scratch Llama backbone, stage 2 LoRA on q and v).
2. PEFT loads it: PeftModel.from_pretrained(base, <run>/stage2/adapter) with transformers in float64 computes the
   logits of fixed token ids, with and without the adapter.
3. delrec recomputes them: the logits go into a reference.safetensors beside a copy of the backbone with the
   adapter as lora_adapter/, and `delrec model verify` must agree within 1e-5 at TP 1 and TP 2.
The other direction (an adapter made by PEFT, loaded by delrec) is `delrec model verify` on the SmolLM2 reference,
whose lora_adapter/ PEFT wrote (tests/reference/hf_reference.py).
"""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import torch


def run(cmd: list, **kw) -> str:
    print("+", " ".join(cmd), flush=True)
    out = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if out.returncode != 0:
        sys.exit(f"{cmd[0]} failed ({out.returncode}):\n{out.stdout}\n{out.stderr}")
    return out.stdout


def main() -> None:
    delrec, work = sys.argv[1], Path(sys.argv[2])
    from peft import PeftModel
    from safetensors.torch import save_file
    from transformers import AutoModelForCausalLM

    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    run_dir = work / "run"
    run([delrec, "quickstart", f"run.out_dir={run_dir}", "data.synthetic.users=40", "teacher.epochs=1",
         "teacher.max_len=12", "stage1.train.steps=2", "stage2.train.steps=6", "stage1.train.batch_size=4",
         "stage2.train.batch_size=4", "stage1.train.eval_examples=4", "stage2.train.eval_examples=4",
         "eval.max_users=4", "eval.ablations=none", "stage2.train.lr=0.01"])
    model_dir = work / "model"
    shutil.copytree(run_dir / "backbone", model_dir)
    shutil.copytree(run_dir / "stage2" / "adapter", model_dir / "lora_adapter")

    torch.manual_seed(0)
    base = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float64, attn_implementation="eager").eval()
    vocab = base.config.vocab_size
    ids = torch.randint(0, vocab, (2, 17))
    with torch.no_grad():
        logits = base(ids).logits
        adapted = PeftModel.from_pretrained(base, model_dir / "lora_adapter").eval()
        lora_logits = adapted(ids).logits
    change = ((lora_logits - logits).norm() / logits.norm()).item()
    print(f"the trained adapter changes the logits by {change:.3e} (relative)")
    assert change > 1e-4, "the adapter delrec trained has no effect; the round trip would prove nothing"
    save_file({"input_ids": ids, "logits": logits.float().contiguous(), "lora_logits": lora_logits.float().contiguous()},
              str(model_dir / "reference.safetensors"))
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1", CUDA_VISIBLE_DEVICES="")
    for ranks in ("1", "2"):
        print(run(["mpirun", "--oversubscribe", "-n", ranks, delrec, "model", "verify", str(model_dir)], env=env))
    print("PEFT loads delrec's adapter and both give the same logits")


if __name__ == "__main__":
    main()
