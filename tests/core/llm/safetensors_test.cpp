#include "core/llm/safetensors.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "core/llm/checkpoint.h"
#include "core/util/error.h"
#include "tests/test_support.h"

namespace delrec::llm {
namespace {

// Writes a raw safetensors file: 8-byte little-endian header length (or `declared_len` when given), header, data.
void write_raw(const std::filesystem::path& path, const std::string& header, size_t data_bytes,
               uint64_t declared_len = UINT64_MAX) {
  std::ofstream out(path, std::ios::binary);
  uint64_t len = declared_len == UINT64_MAX ? header.size() : declared_len;
  for (int i = 0; i < 8; ++i) out.put(static_cast<char>((len >> (8 * i)) & 0xff));
  out << header << std::string(data_bytes, '\0');
}

// Expects SafetensorsFile(path) to throw delrec::Error whose message contains every one of `parts`.
void expect_error(const std::filesystem::path& path, const std::vector<std::string>& parts) {
  try {
    SafetensorsFile f(path);
    FAIL() << "no error for " << path;
  } catch (const Error& e) {
    for (const auto& p : parts) EXPECT_NE(std::string(e.what()).find(p), std::string::npos) << e.what();
  }
}

TEST(Safetensors, RoundTripKeepsValuesDtypesAndMetadata) {
  test::TempDir dir;
  torch::manual_seed(0);
  auto a = torch::randn({3, 5});
  auto b = torch::randn({4, 2}).to(torch::kBFloat16);
  auto c = torch::arange(7, torch::kInt64);
  save_safetensors(dir / "t.safetensors", {{"a", a}, {"b", b}, {"c", c}}, {{"format", "pt"}});
  SafetensorsFile f(dir / "t.safetensors");
  EXPECT_EQ(f.names(), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(f.metadata().at("format"), "pt");
  EXPECT_TRUE(torch::equal(f.read("a"), a));
  EXPECT_EQ(f.read("b").scalar_type(), torch::kBFloat16);
  EXPECT_TRUE(torch::equal(f.read("b"), b));
  EXPECT_TRUE(torch::equal(f.read("c"), c));
}

TEST(Safetensors, SliceMatchesNarrowAlongEveryDim) {
  test::TempDir dir;
  auto t = torch::arange(2 * 6 * 4, torch::kFloat32).reshape({2, 6, 4});
  save_safetensors(dir / "t.safetensors", {{"t", t}});
  SafetensorsFile f(dir / "t.safetensors");
  EXPECT_TRUE(torch::equal(f.read_slice("t", 0, 1, 1), t.narrow(0, 1, 1)));
  EXPECT_TRUE(torch::equal(f.read_slice("t", 1, 2, 3), t.narrow(1, 2, 3)));
  EXPECT_TRUE(torch::equal(f.read_slice("t", 2, 1, 2), t.narrow(2, 1, 2)));
  EXPECT_THROW(f.read_slice("t", 1, 5, 2), Error);
  EXPECT_THROW(f.read_slice("t", 3, 0, 1), Error);
}

TEST(Safetensors, TruncatedFileIsRejected) {
  test::TempDir dir;
  save_safetensors(dir / "t.safetensors", {{"w", torch::randn({16, 16})}});
  std::filesystem::resize_file(dir / "t.safetensors", std::filesystem::file_size(dir / "t.safetensors") - 10);
  expect_error(dir / "t.safetensors", {"t.safetensors", "'w'", "past the"});
  std::filesystem::resize_file(dir / "t.safetensors", 5);
  expect_error(dir / "t.safetensors", {"too short"});
}

TEST(Safetensors, HeaderLengthBeyondFileIsRejected) {
  test::TempDir dir;
  write_raw(dir / "h.safetensors", R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", 4, 4096);
  expect_error(dir / "h.safetensors", {"h.safetensors", "header length 4096", "past the end"});
  write_raw(dir / "huge.safetensors", "{}", 0, 1ull << 40);
  expect_error(dir / "huge.safetensors", {"exceeds"});
}

TEST(Safetensors, OverlappingOffsetsAreRejected) {
  test::TempDir dir;
  write_raw(dir / "o.safetensors",
            R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
            12);
  expect_error(dir / "o.safetensors", {"o.safetensors", "'a'", "'b'", "overlap"});
}

// An empty tensor inside another tensor's bytes is an overlap too; empty tensors at a boundary are fine.
TEST(Safetensors, EmptyTensorInsideAnotherIsAnOverlap) {
  test::TempDir dir;
  write_raw(dir / "e.safetensors",
            R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"e":{"dtype":"F32","shape":[0],"data_offsets":[4,4]}})",
            8);
  expect_error(dir / "e.safetensors", {"e.safetensors", "'a'", "'e'", "overlap"});
  write_raw(dir / "ok.safetensors",
            R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"e":{"dtype":"F32","shape":[0],"data_offsets":[8,8]},)"
            R"("z":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}})",
            8);
  SafetensorsFile ok(dir / "ok.safetensors");
  EXPECT_EQ(ok.names().size(), 3u);
}

// Opening a FIFO named like a checkpoint does not wait for a writer: it is refused as not a regular file.
TEST(Safetensors, FifoIsRefusedWithoutBlocking) {
  test::TempDir dir;
  ASSERT_EQ(::mkfifo((dir / "model.safetensors").c_str(), 0600), 0);
  expect_error(dir / "model.safetensors", {"model.safetensors is not a regular file"});
}

TEST(Safetensors, OutOfRangeOrInconsistentOffsetsAreRejected) {
  test::TempDir dir;
  write_raw(dir / "r.safetensors", R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[8,24]}})", 16);
  expect_error(dir / "r.safetensors", {"'a'", "past the 16 byte data section"});
  write_raw(dir / "s.safetensors", R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", 16);
  expect_error(dir / "s.safetensors", {"'a'", "hold 8 bytes", "needs 12"});
  write_raw(dir / "n.safetensors", R"({"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}})", 16);
  expect_error(dir / "n.safetensors", {"'a'", "non-negative"});
}

TEST(Safetensors, UnknownDtypeAndBadJsonAreRejected) {
  test::TempDir dir;
  write_raw(dir / "d.safetensors", R"({"a":{"dtype":"F31","shape":[1],"data_offsets":[0,4]}})", 4);
  expect_error(dir / "d.safetensors", {"'a'", "unknown dtype \"F31\""});
  write_raw(dir / "j.safetensors", R"({"a":{"dtype":"F32",)", 4);
  expect_error(dir / "j.safetensors", {"j.safetensors", "not valid JSON"});
}

TEST(Safetensors, MissingTensorNamesFileAndTensor) {
  test::TempDir dir;
  save_safetensors(dir / "t.safetensors", {{"a", torch::ones({2})}});
  SafetensorsFile f(dir / "t.safetensors");
  try {
    f.read("model.embed_tokens.weight");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("t.safetensors"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("model.embed_tokens.weight"), std::string::npos);
  }
}

TEST(Checkpoint, PickleFolderIsRefusedWithAdvice) {
  test::TempDir dir;
  std::ofstream(dir / "pytorch_model.bin") << "pickle";
  try {
    Checkpoint ck(dir.path());
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("pickle"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("safetensors"), std::string::npos);
  }
}

TEST(Checkpoint, ShardedIndexResolvesEveryTensor) {
  Checkpoint ck(test::fixtures_dir() / "tiny-llama");
  EXPECT_TRUE(ck.contains("lm_head.weight"));
  EXPECT_EQ(ck.info("model.embed_tokens.weight").shape, (std::vector<int64_t>{384, 64}));
  for (const auto& name : ck.names()) EXPECT_GT(ck.read(name).numel(), 0) << name;
  EXPECT_THROW(ck.read("model.layers.9.mlp.up_proj.weight"), Error);
}

// Found by tests/fuzz/safetensors_fuzz.cpp: reading a tensor with no elements copied 0 bytes into a null pointer
// (undefined behaviour; UBSan in the sanitizer build stops here without the fix).
TEST(Safetensors, TensorsWithNoElementsReadWholeAndSliced) {
  test::TempDir dir;
  save_safetensors(dir / "e.safetensors", {{"rows0", torch::zeros({0, 4})}, {"cols0", torch::zeros({2, 0})}});
  SafetensorsFile f(dir / "e.safetensors");
  EXPECT_EQ(f.read("rows0").sizes(), (std::vector<int64_t>{0, 4}));
  EXPECT_EQ(f.read("cols0").sizes(), (std::vector<int64_t>{2, 0}));
  EXPECT_EQ(f.read_slice("cols0", 0, 1, 1).sizes(), (std::vector<int64_t>{1, 0}));
  EXPECT_EQ(f.read_slice("rows0", 1, 1, 2).sizes(), (std::vector<int64_t>{0, 2}));
}

}  // namespace
}  // namespace delrec::llm
