// GoogleTest main for multi-rank tests (run by ctest under mpirun -n 2 and -n 4). Every rank runs every test;
// only rank 0 prints, and the process exits non-zero on every rank if any rank failed.
#include <gtest/gtest.h>
#include <mpi.h>

#include "core/util/host_runtime.h"

int main(int argc, char** argv) {
  delrec::util::tune_host_runtime();
  MPI_Init(&argc, &argv);
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  ::testing::InitGoogleTest(&argc, argv);
  if (rank != 0) {
    auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
    delete listeners.Release(listeners.default_result_printer());
  }
  int local_failed = RUN_ALL_TESTS() != 0 ? 1 : 0;
  int any_failed = 0;
  MPI_Allreduce(&local_failed, &any_failed, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  if (local_failed) std::fprintf(stderr, "rank %d: tests failed\n", rank);
  MPI_Finalize();
  return any_failed;
}
