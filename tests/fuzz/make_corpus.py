"""Writes the seed corpora of the fuzz targets into tests/fuzz/corpus/<target>/ (committed; a few KB each).

    .venv/bin/python tests/fuzz/make_corpus.py BUILD_DIR   # BUILD_DIR: a DELREC_FUZZ build (build-asan)

Text seeds come from the repository's small test data (tests/data, recipes/) and from tiny files made by the
Hugging Face packages of .venv (safetensors, tokenizers, transformers); the HDF5 seeds are written by the project's
own writers (fuzz_write_hdf5_seeds). Inputs made of two parts separate them with a NUL byte (fuzz_support.h). Files named found-* are inputs that
found a bug (kept as regression seeds) and are not touched.
"""
import gzip
import json
import pathlib
import shutil
import subprocess
import sys
import tempfile

import torch
from safetensors.torch import save_file
from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
from transformers import LlamaConfig, MistralConfig, Qwen2Config

ROOT = pathlib.Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "fuzz" / "corpus"
TEXT = [
    "Toy Story (1995) is followed by GoldenEye (1995).",
    "The user watched: Jumanji, Heat, Casino; next? 12 34 5678",
    "Café Society — naïve façade, 東京, emoji 🙂 and tabs\tand\nnewlines",
]


def target(name):
    """The corpus folder of a target, emptied of generated seeds; inputs that once found a bug (found-*) stay."""
    d = CORPUS / name
    d.mkdir(parents=True, exist_ok=True)
    for f in d.iterdir():
        if not f.name.startswith("found-"):
            f.unlink()
    return d


def safetensors_seeds():
    d = target("safetensors")
    save_file({"a": torch.arange(6, dtype=torch.float32).reshape(2, 3)}, d / "f32.safetensors")
    save_file({"w": torch.ones(2, 2, dtype=torch.bfloat16), "b": torch.zeros(2, dtype=torch.float16),
               "i": torch.arange(3, dtype=torch.int64)}, d / "mixed.safetensors", metadata={"format": "pt"})
    save_file({"e": torch.zeros(0, 4, dtype=torch.float32), "s": torch.tensor(1.5, dtype=torch.float64),
               "m": torch.tensor([True, False]), "u": torch.tensor([1, 2], dtype=torch.uint8),
               "x": torch.tensor([-1, 2], dtype=torch.int8)}, d / "edge_shapes.safetensors")


def byte_level_tokenizer():
    tok = Tokenizer(models.BPE())
    tok.normalizer = normalizers.NFC()
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator(TEXT * 4, trainers.BpeTrainer(vocab_size=290, special_tokens=["<|bos|>", "<|eos|>"],
                                                            initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    tok.post_processor = processors.TemplateProcessing(single="<|bos|> $A", special_tokens=[("<|bos|>", 0)])
    return tok


def byte_fallback_tokenizer():
    tok = Tokenizer(models.BPE(unk_token="<unk>", byte_fallback=True, fuse_unk=True))
    tok.normalizer = normalizers.Sequence([normalizers.Prepend("▁"), normalizers.Replace(" ", "▁")])
    tok.decoder = decoders.Sequence([decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse(),
                                     decoders.Strip(" ", 1, 0)])
    specials = ["<unk>", "<s>", "</s>"] + [f"<0x{b:02X}>" for b in range(256)]
    tok.train_from_iterator(TEXT * 4, trainers.BpeTrainer(vocab_size=360, special_tokens=specials))
    tok.post_processor = processors.TemplateProcessing(single="<s> $A", special_tokens=[("<s>", 1)])
    return tok


def without_byte_added_tokens(tokenizer_json):
    """The <0xXX> tokens stay in the vocabulary but not among the added tokens, as in Llama 2's tokenizer.json
    (and the seed is 30 KB smaller)."""
    j = json.loads(tokenizer_json)
    j["added_tokens"] = [t for t in j["added_tokens"] if not t["content"].startswith("<0x")]
    return j


def metaspace_tokenizer():
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.Digits(individual_digits=True),
                                                 pre_tokenizers.Metaspace()])
    tok.decoder = decoders.Metaspace()
    tok.train_from_iterator(TEXT * 4, trainers.BpeTrainer(vocab_size=120))
    return tok


def tokenizer_seeds():
    d = target("tokenizer")
    for name, tok in [("byte_level", byte_level_tokenizer()), ("byte_fallback", byte_fallback_tokenizer()),
                      ("metaspace", metaspace_tokenizer())]:
        compact = json.dumps(without_byte_added_tokens(tok.to_str()), ensure_ascii=False, separators=(",", ":"))
        (d / name).write_bytes(compact.encode() + b"\0" + TEXT[2].encode())


def model_config_seeds():
    d = target("model_config")
    tiny = dict(vocab_size=384, hidden_size=64, intermediate_size=176, num_hidden_layers=2, num_attention_heads=8,
                num_key_value_heads=4, max_position_embeddings=128)
    configs = {
        "llama": LlamaConfig(**tiny, head_dim=8),
        "llama3_rope": LlamaConfig(**tiny, rope_scaling={"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                                                          "high_freq_factor": 4.0,
                                                          "original_max_position_embeddings": 64}),
        "mistral": MistralConfig(**tiny, sliding_window=64),
        "qwen2": Qwen2Config(**tiny, tie_word_embeddings=True, use_sliding_window=False),
    }
    for name, config in configs.items():
        (d / name).write_text(config.to_json_string(use_diff=False))


def recipe_yaml_seeds():
    d = target("recipe_yaml")
    for recipe in sorted((ROOT / "recipes").glob("*.yaml")):
        (d / recipe.stem).write_bytes(recipe.read_bytes())
    quickstart = (ROOT / "recipes" / "quickstart.yaml").read_bytes()
    (d / "quickstart_overrides").write_bytes(quickstart + b"\0stage1.steps=3\nteacher.model=gru4rec\n"
                                             b"backbone.lora_targets=[q_proj, v_proj]\ndata.synthetic.users=10")
    (d / "anchors").write_bytes(b"run: &r {name: a, seed: 1}\nslurm: {nodes: 2}\n\0run.name=b")


def head(path, lines):
    """The first `lines` lines of a test data file, decompressed: a seed the fuzzer can mutate line by line."""
    text = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    return b"".join(text.splitlines(keepends=True)[:lines])


def dataset_readers_seeds():
    d = target("dataset_readers")
    data = ROOT / "tests" / "data"
    # (format byte of dataset_readers_fuzz.cpp, directory, interactions file, titles file)
    for index, directory, interactions, titles in [
            (0, "ml-100k-tiny", "u.data", "u.item"), (1, "ml-1m-tiny", "ratings.dat", "movies.dat"),
            (2, "ml-csv-tiny", "ratings.csv", "movies.csv"), (3, "amazon-reviews", "Tiny_5.json", "meta_Tiny.json"),
            (4, "amazon-ratings", "Tiny.csv", "meta_Tiny.json.gz"), (5, "csv-tiny", "interactions.csv", "items.csv")]:
        body = (data / directory / interactions).read_bytes() + b"\0" + (data / directory / titles).read_bytes()
        (d / directory).write_bytes(bytes([index]) + body)
    # The paper's datasets: the first lines of each (their files are larger than a seed should be); Steam.txt needs
    # every title its items have.
    for index, directory, interactions, titles, title_lines in [
            (6, "steam-sasrec", "Steam.txt", "id2name.txt", 40),
            (7, "steam-reviews", "steam_reviews.json.gz", "steam_games.json.gz", 4),
            (8, "amazon-2014-beauty", "reviews_Beauty_5.json.gz", "meta_Beauty.json.gz", 4)]:
        body = head(data / directory / interactions, 6) + b"\0" + head(data / directory / titles, title_lines)
        (d / directory).write_bytes(bytes([index]) + body)


def hdf5_seeds(build_dir):
    writer = pathlib.Path(build_dir) / "tests" / "fuzz" / "fuzz_write_hdf5_seeds"
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([str(writer), tmp], check=True)
        for name in ("prepared_dataset", "teacher_shard"):
            d = target(name)
            for f in (pathlib.Path(tmp) / name).iterdir():
                shutil.copy(f, d / f.name)


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    safetensors_seeds()
    tokenizer_seeds()
    model_config_seeds()
    recipe_yaml_seeds()
    dataset_readers_seeds()
    hdf5_seeds(sys.argv[1])
    for d in sorted(CORPUS.iterdir()):
        files = list(d.iterdir())
        print(f"{d.name}: {len(files)} seeds, {sum(f.stat().st_size for f in files)} bytes")


if __name__ == "__main__":
    main()
