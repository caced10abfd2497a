"""The peer of bench_peer: the same training step as delrec's, written the way a Hugging Face user writes it
(transformers + PEFT, the stack DELRec's authors used), timed the same way.

    peer_hf_peft.py --model DIR --inputs FILE --mode stage1|stage2 --steps N --threads T

FILE (safetensors, written by bench_peer) holds `soft_prompt` (n, hidden) and either
  `ids` (B, T) int64: fixed-length sequences, loss = the causal-LM loss over their tokens (after the soft prompt
      in stage 1), or
  `before.<i>`, `after.<i>` (token ids on both sides of the soft prompt), `label_ids` (C), `labels` (B): real
      DELRec prompts with label scoring, loss = the softmax cross-entropy of each prompt's label among the C label
      logits at its last position, averaged over the B prompts. The prompts run as one left-padded batch with an
      attention mask and positions counted from each prompt's first token.
  stage2: LoRA r=16 alpha=32 on q_proj, v_proj (PEFT); the soft prompt (if any) frozen; AdamW on the adapters.
  stage1: the model frozen; AdamW on the soft prompt.
Prints one JSON line: the first step's loss and every step's seconds (the first is the warm-up).
"""
import argparse
import json
import time

import torch
import transformers
from peft import LoraConfig, get_peft_model
from safetensors.torch import load_file
from transformers import AutoModelForCausalLM


def fixed_length_loss(model, inputs, soft):
    ids = inputs["ids"]
    n = soft.shape[0]
    if not soft.requires_grad:  # stage 2: the plain causal-LM step on the tokens
        return lambda: model(input_ids=ids, labels=ids).loss
    labels = torch.cat([torch.full((ids.shape[0], n), -100, dtype=ids.dtype), ids], 1)

    def loss():
        embeds = model.get_input_embeddings()(ids)
        x = torch.cat([soft.unsqueeze(0).expand(ids.shape[0], -1, -1), embeds], 1)
        return model(inputs_embeds=x, labels=labels).loss
    return loss


def prompt_loss(model, inputs, soft):
    labels, label_ids = inputs["labels"], inputs["label_ids"]
    b = labels.shape[0]
    before = [inputs[f"before.{i}"] for i in range(b)]
    after = [inputs[f"after.{i}"] for i in range(b)]
    width = max(len(x) + soft.shape[0] + len(y) for x, y in zip(before, after))
    embed = model.get_input_embeddings()

    def loss():
        rows, masks = [], []
        for x, y in zip(before, after):
            e = torch.cat([embed(x), soft, embed(y)], 0)  # (P, hidden)
            pad = width - e.shape[0]
            rows.append(torch.cat([e.new_zeros(pad, e.shape[1]), e], 0))
            masks.append(torch.cat([torch.zeros(pad, dtype=torch.long), torch.ones(e.shape[0], dtype=torch.long)]))
        mask = torch.stack(masks)
        positions = (mask.cumsum(1) - 1).clamp(min=0)
        logits = model(inputs_embeds=torch.stack(rows), attention_mask=mask, position_ids=positions,
                       logits_to_keep=1).logits[:, -1]  # (B, V)
        return torch.nn.functional.cross_entropy(logits[:, label_ids].float(), labels)
    return loss


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--inputs", required=True)
    ap.add_argument("--mode", choices=["stage1", "stage2"], required=True)
    ap.add_argument("--steps", type=int, required=True)
    ap.add_argument("--threads", type=int, required=True)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    transformers.utils.logging.disable_progress_bar()
    inputs = load_file(a.inputs)
    model = AutoModelForCausalLM.from_pretrained(a.model, dtype=torch.float32, attn_implementation="sdpa")
    model.train()
    if a.mode == "stage2":
        model = get_peft_model(model, LoraConfig(r=16, lora_alpha=32, lora_dropout=0.0,
                                                 target_modules=["q_proj", "v_proj"]))
        params = [p for p in model.parameters() if p.requires_grad]
        soft = inputs["soft_prompt"]
    else:
        model.requires_grad_(False)
        soft = torch.nn.Parameter(inputs["soft_prompt"].clone())
        params = [soft]
    loss_fn = (fixed_length_loss if "ids" in inputs else prompt_loss)(model, inputs, soft)
    opt = torch.optim.AdamW(params, lr=1e-4)
    seconds, first_loss = [], None
    for _ in range(a.steps):
        t0 = time.perf_counter()
        loss = loss_fn()
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        value = loss.item()
        seconds.append(time.perf_counter() - t0)
        first_loss = value if first_loss is None else first_loss
    print(json.dumps({"loss": first_loss, "seconds": seconds}))


if __name__ == "__main__":
    main()
