#!/usr/bin/env python3
"""delrec's tokenizer against Hugging Face `tokenizers`, live, on thousands of strings.

    tokenizer_equality.py DELREC FAMILY [DIR] [--strings N]

FAMILY is the tokenizer.json to check:
  smollm2  DIR holds SmolLM2's tokenizer.json (Sequence[Digits(individual), ByteLevel(use_regex)])
  gpt2     GPT-2 style: ByteLevel(add_prefix_space, use_regex), trained here on a small corpus
  llama3   Llama 3 style: Split(Llama 3 pattern) + ByteLevel(use_regex false), trained here, BOS template
  qwen2    Qwen2 style: Split(Qwen2 pattern, single digits) + ByteLevel, NFC normalizer, trained here
  nfkc     the Qwen2 style with an NFKC normalizer
  llama2   Llama 2's tokenizer.json: normalizer Prepend("▁") + Replace(" " -> "▁"), no pre-tokenizer, BPE over
           characters with byte_fallback, decoder Replace + ByteFallback + Fuse + Strip, BOS template; trained here
  mistral  Mistral style: Metaspace(prepend_scheme first, split false), byte_fallback, the same decoder chain
  metaspace  Metaspace(prepend_scheme always, split true), byte_fallback, decoder ByteFallback + Metaspace

For each of N seeded strings (three of 100,000 characters without spaces, Unicode scripts, digits, runs of spaces, tabs and newlines, emoji, CJK, code,
contractions, added tokens) it compares the ids of `delrec tokenizer encode` (with and without --add-special) and
the text of `delrec tokenizer decode` with what `tokenizers` gives, and prints the first differences. Exit 0 only
when every string agrees.
"""
import argparse
import json
import random
import subprocess
import sys
import tempfile
import unicodedata
from pathlib import Path

LLAMA3_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|"
                  r"\s*[\r\n]+|\s+(?!\S)|\s+")
QWEN2_PATTERN = LLAMA3_PATTERN.replace(r"\p{N}{1,3}", r"\p{N}")

WORDS = ["the", "The", "movie", "Matrix", "Toy", "Story", "Star", "Wars", "science", "fiction", "user", "watched",
         "recommend", "candidate", "don't", "we'll", "I'm", "they've", "she's", "it'd", "you're", "WE'LL", "Can't",
         "naïve", "café", "Zürich", "Ægir", "straße", "東京", "映画", "电影推荐", "영화", "Москва", "фильм", "ταινία",
         "فيلم", "סרט", "फ़िल्म", "ภาพยนตร์", "🎬", "🍿🎥", "👩‍👩‍👧", "🇫🇷", "x²", "½", "Ⅻ", "٣٤٥", "१२३",
         "def", "return", "std::vector<int>", "a->b", "x+=1;", "{\"k\": [1, 2]}", "#include", "0x1F", "1e-5",
         "(1995)", "$12.50", "3.14159", "2024-11-30", "100%", "C++17", "user_id", "--flag", "a/b/c", "\\n",
         # text that the Unicode normalization forms change: decomposed accents, Hangul jamo, the Angstrom sign,
         # ligatures, full-width and circled forms, superscripts
         "cafe\u0301", "A\u030a", "\u212b", "\u1100\u1161\u11a8", "o\u0308\u0301", "\ufb01le", "ＡＢＣ１２３", "①②",
         "x\u00b2", "\u2126", "Ame\u0301lie (2001)"]
SPACES = [" ", " ", " ", "  ", "   ", "\t", "\n", "\n\n", " \n", "\r\n", "\u00a0", "\u3000", ""]


def strings(n: int, specials: list, seed: int = 1234) -> list:
    rng = random.Random(seed)
    out = ["", " ", "  leading", "trailing  ", "\n", "1234567", "'s", " 's", "Hello world", "a  b   c"]
    # Pre-tokens of 100,000 characters (a title without spaces, one repeated letter): BPE must stay fast on them
    # (a rescan of every pair after each merge takes minutes here, past the test's timeout).
    letters = [w for w in WORDS if w.isalpha()]
    out += ["".join(rng.choice(letters) for _ in range(20000))[:100000], "a" * 100000, "Ab" * 50000]
    while len(out) < n:
        parts = []
        for _ in range(rng.randint(1, 12)):
            r = rng.random()
            if r < 0.55:
                parts.append(rng.choice(WORDS))
            elif r < 0.7:
                parts.append(str(rng.randint(0, 10 ** rng.randint(1, 9))))
            elif r < 0.8:
                parts.append("".join(chr(rng.randint(0x20, 0x2FFF)) for _ in range(rng.randint(1, 4))))
            elif r < 0.85 and specials:
                parts.append(rng.choice(specials))
            else:
                parts.append(rng.choice(["'ll", "'s", "'re", "'ve", "'d", "'m", "'t", ".", ",", "!?", "...", "--"]))
            parts.append(rng.choice(SPACES))
        out.append("".join(parts))
    return out[:n]


def trained_metaspace(family: str, folder: Path) -> Path:
    """A BPE over characters with <0xXX> byte tokens for what its 120-character alphabet lacks, as Llama 2 and
    Mistral ship it in tokenizer.json."""
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers

    tok = Tokenizer(models.BPE(unk_token="<unk>", byte_fallback=True, fuse_unk=True))
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="always", split=True)
    trainer = trainers.BpeTrainer(vocab_size=900, special_tokens=["<unk>", "<s>", "</s>"], limit_alphabet=120)
    tok.train_from_iterator(strings(3000, [], seed=99) + WORDS * 20, trainer)
    spec = json.loads(tok.to_str())
    vocab = spec["model"]["vocab"]
    for b in range(256):  # byte tokens after the learned ones
        vocab.setdefault(f"<0x{b:02X}>", len(vocab))
    llama_decoder = {"type": "Sequence", "decoders": [
        {"type": "Replace", "pattern": {"String": "\u2581"}, "content": " "}, {"type": "ByteFallback"},
        {"type": "Fuse"}, {"type": "Strip", "content": " ", "start": 1, "stop": 0}]}
    if family == "llama2":
        spec["normalizer"] = {"type": "Sequence", "normalizers": [
            {"type": "Prepend", "prepend": "\u2581"},
            {"type": "Replace", "pattern": {"String": " "}, "content": "\u2581"}]}
        spec["pre_tokenizer"] = None
        spec["decoder"] = llama_decoder
    elif family == "mistral":
        spec["pre_tokenizer"] = {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "first",
                                 "split": False}
        spec["decoder"] = llama_decoder
    else:
        spec["decoder"] = {"type": "Sequence", "decoders": [
            {"type": "ByteFallback"},
            {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always", "split": True}]}
    tok = Tokenizer.from_str(json.dumps(spec))
    tok.post_processor = processors.TemplateProcessing(single="<s> $A", special_tokens=[("<s>", 1)])
    tok.save(str(folder / "tokenizer.json"))
    return folder


def trained(family: str, folder: Path) -> Path:
    """A small tokenizer.json of the family, trained with `tokenizers` on the word list (a real BPE, real merges)."""
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers

    if family in ("llama2", "mistral", "metaspace"):
        return trained_metaspace(family, folder)

    tok = Tokenizer(models.BPE())
    if family == "gpt2":
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=True, use_regex=True)
    else:
        pattern = LLAMA3_PATTERN if family == "llama3" else QWEN2_PATTERN
        tok.pre_tokenizer = pre_tokenizers.Sequence([
            pre_tokenizers.Split(Regex(pattern), behavior="isolated"),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
        if family == "qwen2":
            tok.normalizer = normalizers.NFC()
        if family == "nfkc":
            tok.normalizer = normalizers.NFKC()
    tok.decoder = decoders.ByteLevel()
    specials = ["<|begin_of_text|>", "<|end_of_text|>"] if family == "llama3" else ["<|endoftext|>"]
    trainer = trainers.BpeTrainer(vocab_size=1200, special_tokens=specials,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    corpus = strings(3000, [], seed=99) + WORDS * 20
    tok.train_from_iterator(corpus, trainer)
    if family == "llama3":
        tok.post_processor = processors.TemplateProcessing(
            single="<|begin_of_text|> $A", special_tokens=[("<|begin_of_text|>", tok.token_to_id("<|begin_of_text|>"))])
    tok.save(str(folder / "tokenizer.json"))
    return folder


def standard_normalization(hf, form: str, specials: list, n: int) -> tuple:
    """The first n strings whose normalization by `tokenizers` is the Unicode standard's. delrec normalizes with ICU
    (Unicode 15); `tokenizers` carries older Unicode tables, in which marks assigned later (U+1DFA, U+0C3C, ...) are
    not combining, so it orders a few rare sequences differently. Returns the strings and how many were left out."""
    pool = strings(4 * n, specials)
    kept = [t for t in pool if hf.normalizer.normalize_str(t) == unicodedata.normalize(form, t)]
    return kept[:n], pool.index(kept[n - 1]) + 1 - n


def delrec_lines(delrec: str, args: list, lines: list) -> list:
    run = subprocess.run([delrec, "tokenizer", *args], input="".join(json.dumps(x) + "\n" for x in lines),
                         capture_output=True, text=True)
    if run.returncode != 0:
        sys.exit(f"delrec tokenizer {' '.join(args)} failed ({run.returncode}):\n{run.stderr}")
    return [json.loads(line) for line in run.stdout.splitlines()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("delrec")
    parser.add_argument("family",
                        choices=["smollm2", "gpt2", "llama3", "qwen2", "nfkc", "llama2", "mistral", "metaspace"])
    parser.add_argument("dir", nargs="?", type=Path)
    parser.add_argument("--strings", type=int, default=3000)
    args = parser.parse_args()

    from tokenizers import Tokenizer

    with tempfile.TemporaryDirectory() as tmp:
        folder = args.dir if args.family == "smollm2" else trained(args.family, Path(tmp))
        hf = Tokenizer.from_file(str(folder / "tokenizer.json"))
        specials = [t.content for t in hf.get_added_tokens_decoder().values()]
        texts = strings(args.strings, specials)
        if args.family in ("qwen2", "nfkc"):
            texts, skipped = standard_normalization(hf, "NFC" if args.family == "qwen2" else "NFKC", specials,
                                                    args.strings)
            print(f"{args.family}: {skipped} strings left out where tokenizers' {hf.normalizer.__class__.__name__} "
                  f"differs from the Unicode standard (Python's unicodedata {unicodedata.unidata_version})")
        plain = delrec_lines(args.delrec, ["encode", str(folder)], texts)
        special = delrec_lines(args.delrec, ["encode", str(folder), "--add-special"], texts)
        expected = [hf.encode(t, add_special_tokens=False).ids for t in texts]
        decoded = delrec_lines(args.delrec, ["decode", str(folder)], expected)
    failures, failing = [], set()
    for i, (text, ids, ids_special, text_back, want) in enumerate(zip(texts, plain, special, decoded, expected)):
        want_special = hf.encode(text, add_special_tokens=True).ids
        want_text = hf.decode(want, skip_special_tokens=True)
        for what, got, ref in [("ids", ids, want), ("ids with specials", ids_special, want_special),
                               ("decoded text", text_back, want_text)]:
            if got != ref:
                failing.add(i)
                failures.append(f"{what} of {json.dumps(text, ensure_ascii=False)}:\n  delrec {got}\n  tokenizers {ref}")
    print(f"{args.family}: {len(texts) - len(failing)} of {len(texts)} strings agree with tokenizers (ids without and "
          f"with special tokens, decoded text)")
    for f in failures[:10]:
        print(f)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
