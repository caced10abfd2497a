// The PyTorch wheel's libtorch.so and libtorch_cpu.so carry (and export) partial copies of a newer libstdc++'s
// std::filesystem. Linked ahead of the system's libstdc++, their remove_all interposed on the system's for the whole
// process and called recursive_directory_iterator::__erase, which Debian 12's libstdc++ (GCC 12) does not have: a
// call to address 0. delrec links libstdc++ first (parallel/CMakeLists.txt); these tests fail without that.
#include <dlfcn.h>
#include <gtest/gtest.h>
#include <link.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tests/test_support.h"

namespace fs = std::filesystem;

namespace delrec {
namespace {

// The file name of the shared object that defines `symbol` for this process, as the dynamic linker resolves it.
std::string definer(const char* symbol) {
  void* address = dlsym(RTLD_DEFAULT, symbol);
  Dl_info info{};
  if (address == nullptr || dladdr(address, &info) == 0 || info.dli_fname == nullptr) return "";
  return fs::path(info.dli_fname).filename().string();
}

// The shared objects of this process in load order, which is the order symbols are looked up in.
std::vector<std::string> load_order() {
  std::vector<std::string> names;
  dl_iterate_phdr(
      [](dl_phdr_info* info, size_t, void* out) {
        static_cast<std::vector<std::string>*>(out)->push_back(fs::path(info->dlpi_name).filename().string());
        return 0;
      },
      &names);
  return names;
}

TEST(StdFilesystem, SystemLibstdcxxIsLookedUpBeforeLibTorch) {
  const auto order = load_order();
  auto position = [&](const std::string& prefix) {
    for (size_t i = 0; i < order.size(); ++i)
      if (order[i].rfind(prefix, 0) == 0) return static_cast<int>(i);
    return -1;
  };
  ASSERT_GE(position("libstdc++.so"), 0);
  ASSERT_GE(position("libtorch"), 0) << "not linked against LibTorch?";
  EXPECT_LT(position("libstdc++.so"), position("libtorch")) << "libstdc++ must come before every LibTorch library";
  for (const char* symbol : {"_ZNSt10filesystem10remove_allERKNS_7__cxx114pathERSt10error_code",
                             "_ZNSt10filesystem10remove_allERKNS_7__cxx114pathE",
                             "_ZNSt10filesystem18create_directoriesERKNS_7__cxx114pathE",
                             "_ZNSt10filesystem7__cxx1118directory_iteratorppEv"})
    EXPECT_EQ(definer(symbol).rfind("libstdc++.so", 0), 0u) << symbol << " resolves into " << definer(symbol);
}

TEST(StdFilesystem, RemoveAllRemovesANestedTree) {
  test::TempDir dir;
  const fs::path root = dir / "tree";
  fs::create_directories(root / "a" / "b");
  for (const char* f : {"x", "a/y", "a/b/z"}) std::ofstream(root / f) << f;
  std::error_code ec;
  EXPECT_EQ(fs::remove_all(root, ec), 6u) << ec.message();  // three files, three directories
  EXPECT_FALSE(fs::exists(root));
  fs::create_directories(root / "c");
  EXPECT_EQ(fs::remove_all(root), 2u);  // the throwing overload
}

}  // namespace
}  // namespace delrec
