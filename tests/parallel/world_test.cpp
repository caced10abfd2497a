// A process started without mpirun is a world of one (MPI's singleton start), and every collective on it
// returns its input unchanged.
#include "parallel/world.h"

#include <gtest/gtest.h>

#include <cstdlib>

namespace delrec::parallel {
namespace {

TEST(WorldTest, ProcessWithoutMpirunIsAWorldOfOne) {
  if (std::getenv("OMPI_COMM_WORLD_SIZE") != nullptr) GTEST_SKIP() << "started by mpirun";
  World world;
  EXPECT_EQ(world.size(), 1);
  EXPECT_EQ(world.rank(), 0);
  torch::Tensor t = torch::tensor({1.5, -2.0});
  world.group()->all_reduce(t, ReduceOp::kSum);
  EXPECT_TRUE(torch::equal(t, torch::tensor({1.5, -2.0})));
  EXPECT_TRUE(torch::equal(world.group()->reduce_scatter(t, ReduceOp::kAvg), t));
  world.group()->barrier();
  World again;  // MPI is initialised once per process; a second World reuses it
  EXPECT_EQ(again.size(), 1);
}

// Sets environment variables for one test and restores them afterwards.
class ScopedEnv {
 public:
  ScopedEnv(std::initializer_list<std::pair<const char*, const char*>> values) {
    for (const auto& [name, value] : values) {
      const char* old = std::getenv(name);
      saved_.push_back({name, old ? std::optional<std::string>(old) : std::nullopt});
      if (value)
        setenv(name, value, 1);
      else
        unsetenv(name);
    }
  }
  ~ScopedEnv() {
    for (const auto& [name, old] : saved_)
      if (old)
        setenv(name.c_str(), old->c_str(), 1);
      else
        unsetenv(name.c_str());
  }

 private:
  std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

TEST(WorldTest, LocalRankComesFromTheLauncher) {
  {
    ScopedEnv env{{"OMPI_COMM_WORLD_LOCAL_RANK", "3"}, {"SLURM_LOCALID", "1"}};
    EXPECT_EQ(local_rank(), 3);
  }
  {
    ScopedEnv env{{"OMPI_COMM_WORLD_LOCAL_RANK", nullptr}, {"SLURM_LOCALID", "2"}};
    EXPECT_EQ(local_rank(), 2);
  }
  {
    ScopedEnv env{{"OMPI_COMM_WORLD_LOCAL_RANK", nullptr}, {"SLURM_LOCALID", nullptr}, {"MPI_LOCALRANKID", nullptr},
                  {"PMI_LOCAL_RANK", nullptr}};
    EXPECT_EQ(local_rank(), 0);
  }
  {
    ScopedEnv env{{"OMPI_COMM_WORLD_LOCAL_RANK", "one"}};
    EXPECT_THROW(local_rank(), std::runtime_error);
  }
}

}  // namespace
}  // namespace delrec::parallel
