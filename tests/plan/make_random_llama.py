"""A randomly initialised Llama of about 1B parameters in the Hugging Face folder format, with SmolLM2's tokenizer,
for measuring `delrec plan` on a third model size (docs/plan.md). Not used by ctest (3.7 GB of float32 weights).

    make_random_llama.py SMOLLM2_DIR OUT_DIR
"""
import shutil
import sys
from pathlib import Path

import torch
from transformers import LlamaConfig, LlamaForCausalLM


def main():
    smollm2, out = Path(sys.argv[1]), Path(sys.argv[2])
    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=49152, hidden_size=2048, intermediate_size=5632, num_hidden_layers=16,
                         num_attention_heads=32, num_key_value_heads=8, max_position_embeddings=8192,
                         rms_norm_eps=1e-5, rope_theta=10000.0, tie_word_embeddings=False)
    model = LlamaForCausalLM(config)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out, safe_serialization=True)
    for name in ("tokenizer.json", "tokenizer_config.json"):
        if (smollm2 / name).exists():
            shutil.copy(smollm2 / name, out / name)
    print(f"{out}: {sum(p.numel() for p in model.parameters()) / 1e9:.2f} B parameters")


if __name__ == "__main__":
    main()
