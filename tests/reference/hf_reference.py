#!/usr/bin/env python3
"""Reference outputs of a Hugging Face causal LM, computed live with transformers and PEFT, in the format of
`delrec model verify` (docs/models.md, "Reference outputs"):

    hf_reference.py MODEL_DIR [--soft-tokens N] [--seed S] [--lora]

writes MODEL_DIR/reference.safetensors and, with --lora, MODEL_DIR/lora_adapter/ (a PEFT LoRA adapter, r=4,
alpha=8, on all seven projections, with random A and B so that it changes the logits):

    input_ids      [2, T] int64    two real sentences tokenized by the model's tokenizer (T = 17); random ids when
                                   the folder has no tokenizer
    logits         [2, T, V]       model(input_ids).logits, computed in float64 (eager attention), stored float32
    soft_prompt    [n, hidden]     random vectors with the embedding table's standard deviation
    soft_logits    [2, n+T, V]     logits with inputs_embeds = concat(soft_prompt, embed(input_ids))
    soft_loss      [1]             mean cross-entropy of soft_logits[:, n:-1] against input_ids[:, 1:]
    soft_grad      [n, hidden]     d soft_loss / d soft_prompt
    lora_logits    [2, T, V]       logits with lora_adapter applied (--lora)
    prompt_ids     [P] int64       a chat prompt for greedy generation (when the tokenizer has a chat template)
    generated_ids  [G] int64       the tokens transformers' greedy generate() appends to it (20, fewer when it
                                   emits the end-of-sequence token)
    bf16_error.<name> [1]          for each of logits, soft_logits, soft_loss, soft_grad, lora_logits: the relative
                                   error of transformers' own bfloat16 run (SDPA attention, the weights cast to
                                   bfloat16, the soft prompt kept float32) against the float32 reference above.
                                   `delrec model verify --dtype bfloat16` allows 1.5 times it.

Everything is seeded; the same model gives the same file. The float32 outputs are computed in float64: a float32
run of transformers is itself off by up to 8e-5 in the soft-prompt gradient of a 30-layer model (eager attention),
close to the 1e-4 that delrec is held to, so the reference is the exact answer rounded to float32.
"""
import argparse
import shutil
from pathlib import Path

import torch

TEXTS = ["The Matrix (1999) is a science fiction film about a hacker who learns the truth.",
         "Users who watched Toy Story (1995) and Fargo (1996) often watch Star Wars next."]
CHAT = [{"role": "user", "content": "List five famous science fiction movies and their years."}]


def relative_error(out: torch.Tensor, ref: torch.Tensor) -> torch.Tensor:
    return ((out.double() - ref.double()).norm() / ref.double().norm()).float().reshape(1)


def bf16_errors(d: Path, adapter_dir: Path, ref: dict, n: int) -> dict:
    """How far transformers' own bfloat16 computation lands from its float32 one, tensor by tensor."""
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    def load():
        return AutoModelForCausalLM.from_pretrained(d, dtype=torch.bfloat16, attn_implementation="sdpa").eval()

    model = load()
    ids = ref["input_ids"]
    errors = {}
    with torch.no_grad():
        errors["logits"] = relative_error(model(ids).logits, ref["logits"])
    soft = ref["soft_prompt"].clone().requires_grad_(True)
    embed = model.get_input_embeddings()
    inputs = torch.cat([soft.to(torch.bfloat16).unsqueeze(0).expand(2, -1, -1), embed(ids)], 1)
    soft_logits = model(inputs_embeds=inputs).logits
    loss = torch.nn.functional.cross_entropy(soft_logits[:, n:-1].float().reshape(-1, soft_logits.shape[-1]),
                                             ids[:, 1:].reshape(-1))
    loss.backward()
    errors["soft_logits"] = relative_error(soft_logits.detach(), ref["soft_logits"])
    errors["soft_loss"] = relative_error(loss.detach(), ref["soft_loss"])
    errors["soft_grad"] = relative_error(soft.grad, ref["soft_grad"])
    if adapter_dir is not None:
        adapted = PeftModel.from_pretrained(load(), adapter_dir).eval()  # adapter weights stay float32, as in PEFT
        with torch.no_grad():
            errors["lora_logits"] = relative_error(adapted(ids).logits, ref["lora_logits"])
    return {f"bf16_error.{k}": v for k, v in errors.items()}


def make_adapter(model, ids: torch.Tensor, adapter_dir: Path) -> torch.Tensor:
    """A PEFT LoRA adapter with random A and B, saved in float32; returns the logits with it applied."""
    from peft import LoraConfig, get_peft_model

    lora = LoraConfig(r=4, lora_alpha=8, lora_dropout=0.0, init_lora_weights=False,
                      target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"])
    adapted = get_peft_model(model, lora).eval()
    with torch.no_grad():
        for name, p in adapted.named_parameters():
            if "lora_B" in name:  # PEFT's random B is small; make the adapter's effect visible
                p.normal_(0, 0.02)
            if "lora_" in name:  # values a float32 adapter file holds exactly
                p.copy_(p.float().double())
        logits = adapted(ids).logits
    shutil.rmtree(adapter_dir, ignore_errors=True)
    adapted.to(torch.float32).save_pretrained(adapter_dir)
    adapted.to(torch.float64).unload()  # the base model without the adapter again, for what follows
    return logits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model_dir", type=Path)
    parser.add_argument("--soft-tokens", type=int, default=6)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--length", type=int, default=17)
    parser.add_argument("--lora", action="store_true", help="make a PEFT adapter and its logits")
    args = parser.parse_args()

    from safetensors.torch import save_file
    from transformers import AutoModelForCausalLM, AutoTokenizer

    torch.manual_seed(args.seed)
    d = args.model_dir
    has_tokenizer = (d / "tokenizer.json").exists() or (d / "tokenizer.model").exists()
    tokenizer = AutoTokenizer.from_pretrained(d) if has_tokenizer else None
    model = AutoModelForCausalLM.from_pretrained(d, dtype=torch.float64, attn_implementation="eager").eval()
    if tokenizer is not None:
        ids = torch.tensor([tokenizer.encode(t, add_special_tokens=False)[: args.length] for t in TEXTS])
        assert ids.shape == (2, args.length), f"the texts must give at least {args.length} tokens"
    else:
        ids = torch.randint(0, model.config.vocab_size, (2, args.length))

    out = {"input_ids": ids}
    with torch.no_grad():
        out["logits"] = model(ids).logits
    embed = model.get_input_embeddings()
    soft = (torch.randn(args.soft_tokens, embed.weight.shape[1]) * embed.weight.std().item()).float().double()
    soft.requires_grad_(True)
    inputs = torch.cat([soft.unsqueeze(0).expand(2, -1, -1), embed(ids)], 1)
    soft_logits = model(inputs_embeds=inputs).logits
    n = args.soft_tokens
    loss = torch.nn.functional.cross_entropy(soft_logits[:, n:-1].reshape(-1, soft_logits.shape[-1]),
                                             ids[:, 1:].reshape(-1))
    loss.backward()
    out.update(soft_prompt=soft.detach(), soft_logits=soft_logits.detach(), soft_loss=loss.detach().reshape(1),
               soft_grad=soft.grad)

    if tokenizer is not None and tokenizer.chat_template:
        prompt = tokenizer.apply_chat_template(CHAT, add_generation_prompt=True)
        prompt = torch.tensor(prompt["input_ids"] if hasattr(prompt, "keys") else prompt).reshape(1, -1)
        with torch.no_grad():
            generated = model.generate(prompt, attention_mask=torch.ones_like(prompt), max_new_tokens=20,
                                       do_sample=False)
        out["prompt_ids"] = prompt[0]
        out["generated_ids"] = generated[0, prompt.shape[1]:]

    adapter_dir = d / "lora_adapter" if args.lora else None
    if adapter_dir is not None:
        out["lora_logits"] = make_adapter(model, ids, adapter_dir)
    out.update(bf16_errors(d, adapter_dir, out, n))
    tmp = d / "reference.safetensors.tmp"  # written whole, then renamed: its presence means the folder is complete
    save_file({k: (v.float() if v.is_floating_point() else v).contiguous() for k, v in out.items()}, str(tmp))
    tmp.replace(d / "reference.safetensors")
    print(f"{d}/reference.safetensors: " + ", ".join(f"{k} {list(v.shape)}" for k, v in out.items()))


if __name__ == "__main__":
    main()
