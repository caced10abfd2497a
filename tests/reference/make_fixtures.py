#!/usr/bin/env python3
"""The small Hugging Face fixtures the C++ tests load, made live with transformers, PEFT, tokenizers and
sentencepiece (so that a clone without ../shared runs every model and tokenizer test):

    make_fixtures.py OUT_DIR

  tiny-llama/     LlamaForCausalLM: vocab 384, hidden 64, 8 heads, 4 KV heads (head_dim 8), intermediate 176,
                  2 layers, rope_theta 1e4, untied lm_head, saved in 10 shards with model.safetensors.index.json;
                  lora_adapter/ (PEFT LoRA r=4, alpha=8, all seven projections, random A and B); reference with a
                  6-vector soft prompt
  tiny-qwen2/     Qwen2ForCausalLM: vocab 400, hidden 64, 4 heads, 2 KV heads, intermediate 128, 2 layers, q/k/v
                  biases, rope_theta 1e6, tied embeddings (no lm_head.weight in the file); a 5-vector soft prompt
  bpe-tokenizer/  byte-level BPE with the Llama 3 split pattern, specials <|begin_of_text|> (0), <|end_of_text|>
                  (1), <|reserved_0|> (2), a template that prepends <|begin_of_text|>; expected.json
  sp-tokenizer/   tokenizer.model: SentencePiece BPE with byte fallback (unk 0, bos 1, eos 2); expected.json

expected.json lists, per test string, the ids without and with special tokens and the decoded text. Each model's
reference.safetensors comes from hf_reference.py (float64, rounded to float32). Seeded: the same packages give the
same files. The folder is written whole, then renamed.
"""
import json
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import torch

from tokenizer_equality import LLAMA3_PATTERN, WORDS, strings

HERE = Path(__file__).resolve().parent
TEST_STRINGS = ["Toy Story (1995)", "Amélie (2001)", "Crouching Tiger, Hidden Dragon (卧虎藏龙) (2000)",
                "I'm sure they'll love it—don't you?", "  leading and   inner   spaces  ",
                "line one\nline two\r\n\n\ttabbed", "12345678 items at €19.99, 3.5 stars", "emoji 🎬🍿 and Ω≈ç√",
                "<|end_of_text|> inside text <|begin_of_text|>", "Sid Meier's Civilization® V", "", " ", "a",
                "ÀÉÎÕÜ àéîõü ñ ß", "x" * 300]


def corpus() -> list:
    return strings(2000, [], seed=7) + TEST_STRINGS[:10] + WORDS * 10


def tiny_model(folder: Path, family: str, soft_tokens: int) -> None:
    from transformers import LlamaConfig, LlamaForCausalLM, Qwen2Config, Qwen2ForCausalLM

    torch.manual_seed(0 if family == "llama" else 1)
    if family == "llama":
        theta = 1e4
        config = LlamaConfig(vocab_size=384, hidden_size=64, num_attention_heads=8, num_key_value_heads=4,
                             head_dim=8, intermediate_size=176, num_hidden_layers=2, max_position_embeddings=128,
                             rope_parameters={"rope_type": "default", "rope_theta": theta}, tie_word_embeddings=False,
                             bos_token_id=1, eos_token_id=2)
        model, shard = LlamaForCausalLM(config), "50KB"
    else:
        theta = 1e6
        config = Qwen2Config(vocab_size=400, hidden_size=64, num_attention_heads=4, num_key_value_heads=2,
                             intermediate_size=128, num_hidden_layers=2, max_position_embeddings=128,
                             rope_parameters={"rope_type": "default", "rope_theta": theta}, tie_word_embeddings=True,
                             bos_token_id=1, eos_token_id=2)
        model, shard = Qwen2ForCausalLM(config), "10GB"
    with torch.no_grad():  # weights at a scale where every layer matters
        for p in model.parameters():
            if p.dim() == 2:
                p.normal_(0, 0.08)
    model.save_pretrained(folder, max_shard_size=shard)
    config_path = folder / "config.json"  # published checkpoints also carry the older top-level rope_theta
    c = json.loads(config_path.read_text())
    c.setdefault("rope_theta", theta)
    config_path.write_text(json.dumps(c, indent=2))
    args = [sys.executable, str(HERE / "hf_reference.py"), str(folder), "--soft-tokens", str(soft_tokens)]
    if family == "llama":
        args.append("--lora")
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL)


def bpe_tokenizer(folder: Path) -> None:
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, processors, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.Split(Regex(LLAMA3_PATTERN), behavior="isolated"),
                                                 pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
    tok.decoder = decoders.ByteLevel()
    specials = ["<|begin_of_text|>", "<|end_of_text|>", "<|reserved_0|>"]
    tok.train_from_iterator(corpus(), trainers.BpeTrainer(vocab_size=700, special_tokens=specials,
                                                          initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    tok.post_processor = processors.TemplateProcessing(single="<|begin_of_text|> $A",
                                                       special_tokens=[("<|begin_of_text|>", 0)])
    folder.mkdir()
    tok.save(str(folder / "tokenizer.json"))
    expected = [{"text": t, "ids": tok.encode(t, add_special_tokens=False).ids,
                 "ids_with_special": tok.encode(t).ids,
                 "decoded": tok.decode(tok.encode(t, add_special_tokens=False).ids)} for t in TEST_STRINGS]
    (folder / "expected.json").write_text(json.dumps(expected, ensure_ascii=False, indent=1))


def sp_tokenizer(folder: Path) -> None:
    import sentencepiece as spm

    folder.mkdir()
    text = folder / "corpus.txt"
    rng = random.Random(5)  # sentences of the word list: every character frequent enough to get its own piece
    lines = [" ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 12))) for _ in range(3000)]
    text.write_text("\n".join(lines + [t.replace("\n", " ") for t in TEST_STRINGS[:10]]))
    spm.SentencePieceTrainer.train(input=str(text), model_prefix=str(folder / "tokenizer"), vocab_size=1000,
                                   model_type="bpe", byte_fallback=True, unk_id=0, bos_id=1, eos_id=2, pad_id=-1,
                                   character_coverage=0.995, minloglevel=2, num_threads=1)
    text.unlink()
    (folder / "tokenizer.vocab").unlink()
    sp = spm.SentencePieceProcessor(model_file=str(folder / "tokenizer.model"))
    expected = [{"text": t, "ids": sp.encode(t), "decoded": sp.decode(sp.encode(t))} for t in TEST_STRINGS]
    (folder / "expected.json").write_text(json.dumps(expected, ensure_ascii=False, indent=1))


def main() -> None:
    out = Path(sys.argv[1]).resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=out.name + ".tmp.", dir=out.parent))
    try:
        tiny_model(tmp / "tiny-llama", "llama", 6)
        tiny_model(tmp / "tiny-qwen2", "qwen2", 5)
        bpe_tokenizer(tmp / "bpe-tokenizer")
        sp_tokenizer(tmp / "sp-tokenizer")
        shutil.rmtree(out, ignore_errors=True)
        tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    print(f"{out}: tiny-llama, tiny-qwen2, bpe-tokenizer, sp-tokenizer")


if __name__ == "__main__":
    main()
