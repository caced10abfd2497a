// The checkpoint store under MPI: every rank writes its own shard into the same step directory, rank 0 publishes,
// and all ranks see one complete checkpoint holding every shard.
#include <gtest/gtest.h>
#include <fmt/format.h>
#include <unistd.h>

#include "core/train/checkpoint_store.h"
#include "core/util/atomic_file.h"
#include "tests/parallel/parallel_test_support.h"

namespace fs = std::filesystem;

namespace delrec::train {
namespace {

TEST(CheckpointStoreMpi, EveryRanksShardIsPublishedTogether) {
  auto& world = *test::test_world().group();
  // Ranks started by one mpirun on one node share the parent process: a directory every rank can name.
  const fs::path root = fs::temp_directory_path() / ("delrec-ckpt-mpi-" + std::to_string(::getppid()));
  if (world.rank() == 0) fs::remove_all(root);
  world.barrier();

  CheckpointStore store(root, 1);
  for (int64_t step : {3, 4}) {
    store.save(
        step,
        [&](const fs::path& dir) {
          write_file_atomically(dir / fmt::format("rank-{:05d}.bin", world.rank()),
                                fmt::format("step {} rank {}", step, world.rank()));
        },
        &world);
  }
  auto latest = store.latest_complete();
  ASSERT_TRUE(latest.has_value());
  EXPECT_EQ(latest->step, 4);
  EXPECT_FALSE(fs::exists(root / "step-000003"));  // keep_last = 1
  for (int r = 0; r < world.size(); ++r)
    EXPECT_EQ(read_file(latest->dir / fmt::format("rank-{:05d}.bin", r)), fmt::format("step 4 rank {}", r));
  world.barrier();
  if (world.rank() == 0) fs::remove_all(root);
}

}  // namespace
}  // namespace delrec::train
