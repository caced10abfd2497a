// The teacher cache written by every rank of a real MPI job (one shard each), then read back by each rank as its
// own slice and as slices of a larger simulated world, with the values the teacher computes directly.
#include <gtest/gtest.h>

#include "core/teacher/teacher_cache.h"
#include "parallel/world.h"
#include "tests/core/teacher/planted_dataset.h"
#include "tests/test_support.h"

namespace delrec::teacher {
namespace {

TEST(TeacherCacheMpiTest, OneShardPerRankReadByAnyWorld) {
  parallel::World world;
  const auto dataset = test::planted_dataset(30, 40, 0.9, 8);
  torch::manual_seed(2);  // same seed on every rank: same weights
  config::TeacherConfig config;
  config.max_len = 10;
  config.sasrec.hidden = 16;
  Teacher teacher(config, {dataset.name, dataset.fingerprint, dataset.num_items(), 1, 0});
  CacheSpec spec;
  spec.top_k = 4;

  // Rank 0's temporary directory, shared with the others (same machine under ctest's mpirun).
  std::unique_ptr<test::TempDir> owned;
  auto token = torch::zeros({256}, torch::kUInt8);
  if (world.rank() == 0) {
    owned = std::make_unique<test::TempDir>();
    const auto path = owned->path().string();
    ASSERT_LT(path.size(), 256u);
    std::copy(path.begin(), path.end(), token.data_ptr<uint8_t>());
  }
  world.group()->broadcast(token, 0);
  const std::filesystem::path dir(reinterpret_cast<const char*>(token.data_ptr<uint8_t>()));

  write_cache_shard(teacher, dataset, spec, world.rank(), world.size(), dir);
  world.group()->barrier();
  if (world.rank() == 0) write_cache_manifest(teacher, dataset, spec, world.size(), dir);
  world.group()->barrier();

  TeacherCacheReader reader(dir, dataset.fingerprint, dataset.num_items());
  ASSERT_EQ(reader.manifest().shards.size(), size_t(world.size()));
  const auto examples = cache_examples(dataset, spec.train_prefixes);
  for (int readers : {world.size(), 8}) {
    for (int r = world.rank(); r < readers; r += world.size()) {
      const auto [begin, end] = reader.slice(r, readers);
      const auto batch = reader.read_slice(r, readers);
      ASSERT_EQ(batch.user.size(0), end - begin);
      std::vector<std::vector<int64_t>> histories;
      for (int64_t i = begin; i < end; ++i) {
        const auto& s = dataset.sequences[examples[i].user];
        histories.emplace_back(s.begin(), s.begin() + examples[i].position);
        EXPECT_EQ(batch.position[i - begin].item<int64_t>(), examples[i].position);
      }
      if (histories.empty()) continue;
      auto expected = teacher.model().score(teacher.encode(histories), batch.candidates);
      EXPECT_TRUE(torch::allclose(batch.candidate_scores, expected, 1e-5, 1e-6)) << "reader " << r << "/" << readers;
    }
  }
  world.group()->barrier();  // rank 0 removes the directory only after every rank has read it
}

}  // namespace
}  // namespace delrec::teacher
