// `delrec --version` names the LibTorch it was built with (the PyTorch wheel's, whose Python package tells its
// version independently), whether CUDA was compiled in, and how many GPUs this process sees.
#include <gtest/gtest.h>

#include "tests/test_support.h"

namespace delrec {
namespace {

TEST(Version, NamesLibTorchCudaAndVisibleGpus) {
  std::string output, torch_version;
  ASSERT_EQ(test::run_command("CUDA_VISIBLE_DEVICES= " + test::delrec_binary().string() + " --version", &output), 0)
      << output;
  ASSERT_EQ(test::run_command(std::string(DELREC_PYTHON) +
                                  " -c 'import torch; print(torch.__version__.split(\"+\")[0], end=\"\")'",
                              &torch_version),
            0)
      << torch_version;
  EXPECT_NE(output.find("delrec " DELREC_VERSION "\n"), std::string::npos) << output;
  EXPECT_NE(output.find("LibTorch " + torch_version + ","), std::string::npos) << output << " vs torch " << torch_version;
#ifdef DELREC_WITH_NCCL
  EXPECT_NE(output.find(" compiled in"), std::string::npos) << output;
  EXPECT_NE(output.find("NCCL "), std::string::npos) << output;
#else
  EXPECT_NE(output.find("CPU only"), std::string::npos) << output;
#endif
  EXPECT_NE(output.find(", 0 GPUs visible"), std::string::npos) << output;
}

}  // namespace
}  // namespace delrec
