// The teacher cache: written as 3 shards, read back by worlds of 1, 2 and 4 ranks with identical values that match
// the teacher itself; sharded == unsharded; stale, corrupt and non-finite caches refused with the file named.
#include "core/teacher/teacher_cache.h"

#include <gtest/gtest.h>
#include <hdf5.h>

#include <nlohmann/json.hpp>

#include <fstream>
#include <functional>

#include "core/util/atomic_file.h"
#include "core/util/error.h"
#include "tests/core/teacher/planted_dataset.h"
#include "tests/test_support.h"

namespace delrec::teacher {
namespace {

class TeacherCacheTest : public ::testing::Test {
 protected:
  TeacherCacheTest() : dataset_(test::planted_dataset(30, 40, 0.9, 8)), teacher_(make_config(), info()) {
    spec_.top_k = 5;
    spec_.candidate_seed = 9;
    spec_.checkpoint_sha256 = "abc";
  }
  static config::TeacherConfig make_config() {
    torch::manual_seed(2);
    config::TeacherConfig c;
    c.max_len = 10;
    c.sasrec.hidden = 16;
    c.eval_batch_size = 7;  // several batches per shard
    return c;
  }
  TeacherInfo info() const { return {dataset_.name, dataset_.fingerprint, dataset_.num_items(), 1, 0}; }
  void write(int64_t shards, const std::filesystem::path& dir) {
    for (int64_t s = 0; s < shards; ++s) write_cache_shard(teacher_, dataset_, spec_, s, shards, dir);
    write_cache_manifest(teacher_, dataset_, spec_, shards, dir);
  }
  // Every example, as the concatenation of the slices of all ranks of a world.
  static CacheBatch read_world(const TeacherCacheReader& reader, int world) {
    std::vector<CacheBatch> parts;
    for (int r = 0; r < world; ++r) parts.push_back(reader.read_slice(r, world));
    auto cat = [&](torch::Tensor CacheBatch::*member) {
      std::vector<torch::Tensor> ts;
      for (const auto& p : parts) ts.push_back(p.*member);
      return torch::cat(ts);
    };
    return {cat(&CacheBatch::user),       cat(&CacheBatch::position),         cat(&CacheBatch::kind),
            cat(&CacheBatch::candidates), cat(&CacheBatch::candidate_scores), cat(&CacheBatch::topk_items),
            cat(&CacheBatch::topk_scores), parts.front().teacher_sha256};
  }
  static void expect_equal(const CacheBatch& a, const CacheBatch& b) {
    for (auto member : {&CacheBatch::user, &CacheBatch::position, &CacheBatch::kind, &CacheBatch::candidates,
                        &CacheBatch::candidate_scores, &CacheBatch::topk_items, &CacheBatch::topk_scores})
      EXPECT_TRUE(torch::equal(a.*member, b.*member));
  }

  data::Dataset dataset_;
  Teacher teacher_;
  CacheSpec spec_;
};

TEST_F(TeacherCacheTest, ExamplesCoverPrefixesValidationAndTest) {
  int64_t all = 0, two = 0;
  for (const auto& s : dataset_.sequences) {
    all += int64_t(s.size()) - 3 + 2;
    two += std::min<int64_t>(2, int64_t(s.size()) - 3) + 2;
  }
  EXPECT_EQ(int64_t(cache_examples(dataset_, -1).size()), all);
  EXPECT_EQ(int64_t(cache_examples(dataset_, 2).size()), two);
  const auto examples = cache_examples(dataset_, 0);
  ASSERT_EQ(int64_t(examples.size()), 2 * dataset_.num_users());
  EXPECT_EQ(examples[1].kind, ExampleKind::kTest);
  EXPECT_EQ(examples[1].position, int64_t(dataset_.sequences[0].size()) - 1);
}

TEST_F(TeacherCacheTest, ThreeShardsReadByOneTwoAndFourRanksMatchTheTeacher) {
  test::TempDir dir;
  write(3, dir.path());
  for (int s = 0; s < 3; ++s) EXPECT_TRUE(std::filesystem::exists(dir / shard_file_name(s, 3)));
  TeacherCacheReader reader(dir.path(), dataset_.fingerprint, dataset_.num_items());
  const auto examples = cache_examples(dataset_, -1);
  ASSERT_EQ(reader.num_examples(), int64_t(examples.size()));
  const auto one = read_world(reader, 1);
  for (int world : {2, 4}) {
    SCOPED_TRACE(world);
    TeacherCacheReader fresh(dir.path(), dataset_.fingerprint, dataset_.num_items());
    expect_equal(read_world(fresh, world), one);
  }
  // Values are the teacher's own: candidate scores and top-K of a few examples recomputed directly.
  for (int64_t i : {int64_t(0), int64_t(examples.size() / 2), int64_t(examples.size() - 1)}) {
    const auto& e = examples[i];
    const auto& s = dataset_.sequences[e.user];
    EXPECT_EQ(one.user[i].item<int64_t>(), e.user);
    EXPECT_EQ(one.position[i].item<int64_t>(), e.position);
    EXPECT_EQ(one.candidates[i][0].item<int64_t>(), s[e.position]);  // column 0 = target
    const std::vector<std::vector<int64_t>> history{{s.begin(), s.begin() + e.position}};
    auto state = teacher_.encode(history);
    auto expected = teacher_.model().score(state, one.candidates[i].unsqueeze(0))[0];
    EXPECT_TRUE(torch::allclose(one.candidate_scores[i], expected, 1e-5, 1e-6));
    auto all = teacher_.model().score_all(state)[0];
    EXPECT_TRUE(torch::allclose(one.topk_scores[i], all.index_select(0, one.topk_items[i]), 1e-5, 1e-6));
    for (int64_t k = 0; k < spec_.top_k; ++k) {
      const int64_t item = one.topk_items[i][k].item<int64_t>();
      EXPECT_GT(item, 0);
      EXPECT_EQ(std::count(history[0].begin(), history[0].end(), item), 0) << "top-K holds a history item";
    }
  }
  // Validation and test rows are the dataset's fixed candidates.
  const int64_t last = int64_t(examples.size()) - 1;
  EXPECT_EQ(std::vector<int64_t>(one.candidates[last].data_ptr<int64_t>(),
                                 one.candidates[last].data_ptr<int64_t>() + one.candidates.size(1)),
            dataset_.test_candidates.back());
}

TEST_F(TeacherCacheTest, ShardedEqualsUnsharded) {
  test::TempDir a, b;
  write(3, a.path());
  write(1, b.path());
  TeacherCacheReader three(a.path(), dataset_.fingerprint, dataset_.num_items()), single(b.path(), dataset_.fingerprint, dataset_.num_items());
  const auto x = three.read(0, three.num_examples()), y = single.read(0, single.num_examples());
  // Shards batch examples differently, so scores agree to float rounding (padding never changes them).
  for (auto member : {&CacheBatch::user, &CacheBatch::position, &CacheBatch::kind, &CacheBatch::candidates})
    EXPECT_TRUE(torch::equal(x.*member, y.*member));
  EXPECT_TRUE(torch::allclose(x.candidate_scores, y.candidate_scores, 1e-5, 1e-5));
  EXPECT_TRUE(torch::allclose(x.topk_scores, y.topk_scores, 1e-5, 1e-5));
}

TEST_F(TeacherCacheTest, RefusesACacheBuiltForAnotherDataset) {
  test::TempDir dir;
  write(2, dir.path());
  try {
    TeacherCacheReader reader(dir.path(), "0123456789abcdef-other", dataset_.num_items());
    FAIL() << "expected a stale-cache error";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("stale"), std::string::npos) << msg;
    EXPECT_NE(msg.find("delrec teacher cache"), std::string::npos) << msg;
  }
}

TEST_F(TeacherCacheTest, TruncatedOrCorruptShardNamesTheFile) {
  test::TempDir dir;
  write(3, dir.path());
  const auto victim = dir / shard_file_name(1, 3);
  const auto size = std::filesystem::file_size(victim);
  std::filesystem::resize_file(victim, size / 2);
  TeacherCacheReader reader(dir.path(), dataset_.fingerprint, dataset_.num_items());
  EXPECT_NO_THROW(reader.read_slice(0, 3));  // shard 0 alone is intact
  try {
    reader.read_slice(1, 3);
    FAIL() << "expected a corrupt-shard error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(victim.string()), std::string::npos) << e.what();
  }
  // Garbage over the compressed data of an intact-looking file.
  write(3, dir.path());
  {
    std::fstream f(victim, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(std::streamoff(std::filesystem::file_size(victim) / 3));
    const std::string junk(std::filesystem::file_size(victim) / 2, '\x5a');
    f.write(junk.data(), std::streamsize(junk.size()));
  }
  TeacherCacheReader again(dir.path(), dataset_.fingerprint, dataset_.num_items());
  try {
    again.read_slice(1, 3);
    FAIL() << "expected a corrupt-shard error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(victim.string()), std::string::npos) << e.what();
  }
}

// Attributes and arrays of another shape than the writer makes: refused by name, never read past a buffer.
TEST_F(TeacherCacheTest, CraftedAttributesAndRanksAreRefused) {
  test::TempDir dir;
  write(1, dir.path());
  const auto shard = dir / shard_file_name(0, 1);
  auto replace_attribute = [&](const char* name, hid_t type, hsize_t n) {
    const hid_t file = H5Fopen(shard.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    ASSERT_GE(file, 0);
    H5Adelete(file, name);
    const hid_t space = H5Screate_simple(1, &n, nullptr);
    const hid_t attr = H5Acreate2(file, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
    const std::vector<char> zeros(n * H5Tget_size(type), 0);
    H5Awrite(attr, type, zeros.data());
    H5Aclose(attr);
    H5Sclose(space);
    H5Fclose(file);
  };
  replace_attribute("begin", H5T_NATIVE_INT64, 16);
  std::string msg = test::error_message([&] { TeacherCacheReader(dir.path(), dataset_.fingerprint, dataset_.num_items()).read(0, 1); });
  EXPECT_NE(msg.find("attribute 'begin' is not a single integer"), std::string::npos) << msg;

  write(1, dir.path());
  const hid_t vlen = H5Tcopy(H5T_C_S1);
  H5Tset_size(vlen, H5T_VARIABLE);
  replace_attribute("dataset_fingerprint", vlen, 1);
  H5Tclose(vlen);
  msg = test::error_message([&] { TeacherCacheReader(dir.path(), dataset_.fingerprint, dataset_.num_items()).read(0, 1); });
  EXPECT_NE(msg.find("attribute 'dataset_fingerprint' is not a single short fixed-length string"),
            std::string::npos) << msg;

  // A rank-3 array: its shape is refused before its dimensions are read.
  write(1, dir.path());
  {
    const hid_t file = H5Fopen(shard.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    H5Ldelete(file, "user", H5P_DEFAULT);
    const hsize_t dims[3] = {2, 2, 2};
    const hid_t space = H5Screate_simple(3, dims, nullptr);
    H5Dclose(H5Dcreate2(file, "user", H5T_STD_I64LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
    H5Sclose(space);
    H5Fclose(file);
  }
  msg = test::error_message([&] { TeacherCacheReader(dir.path(), dataset_.fingerprint, dataset_.num_items()).read(0, 1); });
  EXPECT_NE(msg.find("array 'user' has rank 3 (expected 1 or 2)"), std::string::npos) << msg;
}

// The manifest is an input like any other: shard names that leave the cache folder, and shard ranges that leave a
// gap, overlap or stop short of num_examples, are refused before any shard is read.
TEST_F(TeacherCacheTest, ManifestShardNamesAndRangesAreChecked) {
  test::TempDir dir;
  write(3, dir.path());
  const auto manifest_path = dir / "manifest.json";
  const auto original = nlohmann::json::parse(read_file(manifest_path));
  auto refused = [&](const std::function<void(nlohmann::json&)>& edit) {
    auto j = original;
    edit(j);
    write_file_atomically(manifest_path, j.dump());
    return test::error_message([&] { TeacherCacheReader(dir.path(), dataset_.fingerprint, dataset_.num_items()); });
  };
  std::string msg = refused([](nlohmann::json& j) { j["shards"][1]["file"] = "../../etc/passwd"; });
  EXPECT_NE(msg.find("shard 1 is named '../../etc/passwd', not 'shard-00001-of-00003.h5'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("delrec teacher cache"), std::string::npos) << msg;
  msg = refused([](nlohmann::json& j) { j["shards"][0]["file"] = "/tmp/shard-00000-of-00003.h5"; });
  EXPECT_NE(msg.find("shard 0 is named '/tmp/shard-00000-of-00003.h5'"), std::string::npos) << msg;
  // A gap: shard 1 starts one example later than shard 0 ends.
  msg = refused([](nlohmann::json& j) { j["shards"][1]["begin"] = j["shards"][1]["begin"].get<int64_t>() + 1; });
  EXPECT_NE(msg.find("shard 1 covers examples"), std::string::npos) << msg;
  EXPECT_NE(msg.find("without gaps or overlaps"), std::string::npos) << msg;
  // The last shard stops short of num_examples.
  msg = refused([](nlohmann::json& j) { j["num_examples"] = j["num_examples"].get<int64_t>() + 5; });
  EXPECT_NE(msg.find("examples"), std::string::npos) << msg;
  EXPECT_NE(msg.find("the shards cover [0, "), std::string::npos) << msg;
  msg = refused([](nlohmann::json& j) { j["top_k"] = 0; });
  EXPECT_NE(msg.find("must be positive"), std::string::npos) << msg;
}

// Item ids outside [1, num_items] and NaN scores in a shard (damage: the writer refuses them) are refused on read.
TEST_F(TeacherCacheTest, DamagedIdsAndScoresAreRefusedOnRead) {
  test::TempDir dir;
  const auto shard = dir / shard_file_name(0, 1);
  auto poke = [&](const char* name, hid_t type, auto value) {
    const hid_t file = H5Fopen(shard.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    ASSERT_GE(file, 0);
    const hid_t set = H5Dopen2(file, name, H5P_DEFAULT);
    const hid_t space = H5Dget_space(set);
    std::vector<decltype(value)> data(size_t(H5Sget_simple_extent_npoints(space)));
    H5Dread(set, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data.data());
    data[3] = value;
    H5Dwrite(set, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data.data());
    H5Sclose(space);
    H5Dclose(set);
    H5Fclose(file);
  };
  auto read_all = [&] {
    return test::error_message(
        [&] { TeacherCacheReader(dir.path(), dataset_.fingerprint, dataset_.num_items()).read(0, 4); });
  };
  write(1, dir.path());
  poke("candidates", H5T_NATIVE_INT32, int32_t(dataset_.num_items() + 1));
  std::string msg = read_all();
  EXPECT_NE(msg.find("candidates of examples [0, 4) hold item ids in"), std::string::npos) << msg;
  EXPECT_NE(msg.find(fmt::format("outside the dataset's [1, {}]", dataset_.num_items())), std::string::npos) << msg;
  write(1, dir.path());
  poke("topk_items", H5T_NATIVE_INT32, int32_t(-7));
  msg = read_all();
  EXPECT_NE(msg.find("topk_items of examples [0, 4) hold item ids in [-7, "), std::string::npos) << msg;
  write(1, dir.path());
  poke("candidate_scores", H5T_NATIVE_FLOAT, std::numeric_limits<float>::quiet_NaN());
  msg = read_all();
  EXPECT_NE(msg.find("candidate_scores of examples [0, 4) hold NaN or infinite scores"), std::string::npos) << msg;
}

TEST_F(TeacherCacheTest, RefusesNonFiniteScoresAtWriteTime) {
  {
    torch::NoGradGuard no_grad;
    teacher_.model().output_items()[dataset_.sequences[0][0]][0] = std::numeric_limits<float>::quiet_NaN();
  }
  test::TempDir dir;
  try {
    write_cache_shard(teacher_, dataset_, spec_, 0, 1, dir.path());
    FAIL() << "expected a NaN error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("NaN"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(std::filesystem::exists(dir / shard_file_name(0, 1)));
}

TEST_F(TeacherCacheTest, MissingCacheSaysHowToBuildIt) {
  test::TempDir dir;
  try {
    TeacherCacheReader reader(dir.path(), dataset_.fingerprint, dataset_.num_items());
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("delrec teacher cache"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace delrec::teacher
