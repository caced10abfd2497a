// The scratch backbone: a byte-level BPE trained on a corpus, and a random Llama folder that the regular loaders
// read like a downloaded checkpoint.
#include "core/llm/scratch_backbone.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/llm/bpe_trainer.h"
#include "core/llm/causal_lm.h"
#include "core/llm/tokenizer.h"
#include "core/util/atomic_file.h"
#include "core/util/error.h"
#include "tests/core/llm/llm_test_support.h"
#include "tests/test_support.h"

namespace delrec::llm {
namespace {

std::vector<std::string> corpus() {
  std::vector<std::string> texts;
  for (int i = 0; i < 20; ++i) texts.push_back("The Hidden Voyage (1987), The Silent Harbor (1955) and more");
  return texts;
}

TEST(BpeTrainer, LearnsFrequentWordsAndRoundTripsAnyText) {
  test::TempDir dir;
  write_file_atomically(dir.path() / "tokenizer.json", train_bpe_tokenizer_json(corpus(), 300));
  auto tok = load_tokenizer(dir.path());
  EXPECT_LE(tok->vocab_size(), 300);
  EXPECT_EQ(tok->bos_id(), 0);
  // A word seen 20 times becomes one token (with its leading space); unseen text still round-trips byte by byte.
  EXPECT_EQ(tok->encode(" Voyage", false).size(), 1u);
  const std::string unseen = "Zürich \xF0\x9F\x8E\xAC\n\tquux 12345";
  EXPECT_EQ(tok->decode(tok->encode(unseen, false)), unseen);
  EXPECT_EQ(tok->encode("x", true).front(), 0);  // BOS prepended
  // Fewer tokens than bytes on the training text.
  EXPECT_LT(tok->encode(corpus()[0], false).size(), corpus()[0].size() / 3);
}

TEST(ScratchBackbone, WritesAFolderTheCheckpointLoadersRead) {
  test::TempDir dir;
  config::ScratchBackboneConfig c;
  c.hidden = 32;
  c.layers = 2;
  c.heads = 4;
  c.kv_heads = 2;
  c.intermediate = 40;
  c.vocab = 300;
  create_scratch_backbone(c, corpus(), dir.path() / "llm");
  CausalLm model = load_causal_lm(dir.path() / "llm", test::single_rank_tp());
  EXPECT_EQ(model->config().vocab_size, 320);  // 300 rounded up to a multiple of 64
  EXPECT_EQ(model->config().num_kv_heads, 2);
  auto tok = load_tokenizer(dir.path() / "llm");
  torch::Tensor logits = model->forward(torch::tensor(tok->encode("The Hidden Voyage", true)).unsqueeze(0));
  EXPECT_EQ(logits.size(2), 320);
  EXPECT_TRUE(torch::isfinite(logits).all().item<bool>());
  // Same seed, same weights; an existing folder is never overwritten.
  create_scratch_backbone(c, corpus(), dir.path() / "again");
  CausalLm again = load_causal_lm(dir.path() / "again", test::single_rank_tp());
  EXPECT_TRUE(torch::equal(model->forward(torch::tensor({{5, 6, 7}})), again->forward(torch::tensor({{5, 6, 7}}))));
  EXPECT_THROW(create_scratch_backbone(c, corpus(), dir.path() / "llm"), Error);
  c.heads = 5;
  EXPECT_THROW(create_scratch_backbone(c, corpus(), dir.path() / "bad"), Error);
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "bad"));
}

}  // namespace
}  // namespace delrec::llm
