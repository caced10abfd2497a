// GoogleTest main for the single-process tests: the host runtime as the delrec binary sets it (malloc, BLAS
// threads; core/util/host_runtime.h), so tests run the way users' jobs do.
#include <gtest/gtest.h>

#include "core/util/host_runtime.h"

int main(int argc, char** argv) {
  delrec::util::tune_host_runtime();
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
