#pragma once
// Trains a small byte-level BPE tokenizer and writes it as a Hugging Face tokenizer.json that BpeTokenizer (and
// Hugging Face tokenizers) load: the Llama-3 split pattern, GPT-2's byte-to-character map, specials
// <|begin_of_text|> (id 0, prepended by the post-processor) and <|end_of_text|> (id 1), then the 256 byte
// characters (ids 2..257), then one token per learned merge.
//
// Training is the classic algorithm (Sennrich et al. 2016): split the corpus into pre-tokenizer pieces, count
// each piece once per occurrence, then repeatedly merge the most frequent adjacent pair of symbols (ties: the
// pair that sorts first) until the vocabulary is full or no pair occurs twice.
#include <cstdint>
#include <string>
#include <vector>

namespace delrec::llm {

// tokenizer.json text for a vocabulary of at most vocab_size tokens (>= 258) learned from `corpus`.
std::string train_bpe_tokenizer_json(const std::vector<std::string>& corpus, int64_t vocab_size);

}  // namespace delrec::llm
