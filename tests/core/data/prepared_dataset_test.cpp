#include "core/data/prepared_dataset.h"

#include <gtest/gtest.h>
#include <hdf5.h>
#include <unistd.h>

#include <fstream>
#include <functional>

#include "core/data/prepare.h"
#include "core/util/atomic_file.h"
#include "core/util/error.h"
#include "tests/test_support.h"

namespace delrec::data {
namespace {

Dataset small_dataset() {
  config::DataConfig c;
  c.synthetic.users = 50;
  c.synthetic.items = 100;
  return prepare(c, "data:\n  dataset: synthetic\n");
}

TEST(PreparedDataset, RoundTripKeepsEverything) {
  test::TempDir dir;
  Dataset d = small_dataset();
  d.item_titles[1] = "Am\xC3\xA9lie (2001)";  // UTF-8 survives
  d.fingerprint = compute_fingerprint(d);
  save_prepared(d, dir / "data.h5");
  Dataset r = load_prepared(dir / "data.h5");
  EXPECT_EQ(r.name, d.name);
  EXPECT_EQ(r.user_keys, d.user_keys);
  EXPECT_EQ(r.item_keys, d.item_keys);
  EXPECT_EQ(r.item_titles, d.item_titles);
  EXPECT_EQ(r.sequences, d.sequences);
  EXPECT_EQ(r.timestamps, d.timestamps);
  EXPECT_EQ(r.valid_candidates, d.valid_candidates);
  EXPECT_EQ(r.test_candidates, d.test_candidates);
  EXPECT_EQ(r.fingerprint, d.fingerprint);
  EXPECT_EQ(r.recipe_yaml, d.recipe_yaml);
  EXPECT_FALSE(std::filesystem::exists(dir / ("data.h5.tmp." + std::to_string(::getpid()))));
}

TEST(PreparedDataset, TruncatedFileIsReported) {
  test::TempDir dir;
  save_prepared(small_dataset(), dir / "data.h5");
  std::string bytes = read_file(dir / "data.h5");
  std::ofstream(dir / "cut.h5", std::ios::binary) << bytes.substr(0, bytes.size() / 2);
  std::string msg = test::error_message([&] { load_prepared(dir / "cut.h5"); });
  EXPECT_NE(msg.find((dir / "cut.h5").string()), std::string::npos) << msg;
  EXPECT_NE(msg.find("prepare it again"), std::string::npos) << msg;
}

TEST(PreparedDataset, AlteredContentFailsTheFingerprint) {
  test::TempDir dir;
  Dataset d = small_dataset();
  save_prepared(d, dir / "data.h5");
  // Titles are stored as plain bytes: change one letter of one title in place.
  std::string bytes = read_file(dir / "data.h5");
  size_t at = bytes.find(d.item_titles[5]);
  ASSERT_NE(at, std::string::npos);
  bytes[at + 4] ^= 0x20;
  std::ofstream(dir / "altered.h5", std::ios::binary) << bytes;
  std::string msg = test::error_message([&] { load_prepared(dir / "altered.h5"); });
  EXPECT_NE(msg.find("does not match its fingerprint"), std::string::npos) << msg;
}

// Opens `path` for writing with HDF5 itself, as a crafted file would be made, and calls edit(file id).
void craft(const std::filesystem::path& path, const std::function<void(hid_t)>& edit) {
  const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  ASSERT_GE(file, 0);
  edit(file);
  H5Fclose(file);
}

TEST(PreparedDataset, ArrayValuedVersionAndHugeUnstoredDatasetsAreRefused) {
  test::TempDir dir;
  save_prepared(small_dataset(), dir / "a.h5");
  craft(dir / "a.h5", [](hid_t file) {
    H5Adelete(file, "format_version");
    const hsize_t n = 64;
    const hid_t space = H5Screate_simple(1, &n, nullptr);
    const hid_t attr = H5Acreate2(file, "format_version", H5T_STD_I64LE, space, H5P_DEFAULT, H5P_DEFAULT);
    const std::vector<int64_t> values(n, 1);
    H5Awrite(attr, H5T_NATIVE_INT64, values.data());
    H5Aclose(attr);
    H5Sclose(space);
  });
  std::string msg = test::error_message([&] { load_prepared(dir / "a.h5"); });
  EXPECT_NE(msg.find("format_version attribute is not one integer"), std::string::npos) << msg;

  // 10^10 titles declared, none stored: refused from the header, before any allocation.
  save_prepared(small_dataset(), dir / "b.h5");
  craft(dir / "b.h5", [](hid_t file) {
    H5Ldelete(file, "/items/title_bytes", H5P_DEFAULT);
    const hsize_t n = 10000000000ULL;
    const hid_t space = H5Screate_simple(1, &n, nullptr);
    const hid_t set = H5Dcreate2(file, "/items/title_bytes", H5T_STD_U8LE, space, H5P_DEFAULT, H5P_DEFAULT,
                                 H5P_DEFAULT);
    H5Dclose(set);
    H5Sclose(space);
  });
  msg = test::error_message([&] { load_prepared(dir / "b.h5"); });
  EXPECT_NE(msg.find("dataset /items/title_bytes declares 10000000000 elements of 1 bytes but stores only 0 bytes"),
            std::string::npos) << msg;
}

// Found by tests/fuzz/prepared_dataset_fuzz.cpp: a 13 kB file whose "name" string type declared 2 GB made the reader
// allocate (and HDF5 fill) that much. A string's declared size must be stored, like an array's elements.
TEST(PreparedDataset, HugeUnstoredStringIsRefused) {
  test::TempDir dir;
  save_prepared(small_dataset(), dir / "s.h5");
  craft(dir / "s.h5", [](hid_t file) {
    H5Ldelete(file, "name", H5P_DEFAULT);
    const hid_t type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, size_t(1) << 30);
    const hid_t space = H5Screate(H5S_SCALAR);
    H5Dclose(H5Dcreate2(file, "name", type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
    H5Sclose(space);
    H5Tclose(type);
  });
  std::string msg = test::error_message([&] { load_prepared(dir / "s.h5"); });
  EXPECT_NE(msg.find("dataset name declares a string of 1073741824 bytes but stores only 0 bytes"),
            std::string::npos) << msg;
}

// Found by tests/fuzz/prepared_dataset_fuzz.cpp (the input is kept in its corpus): a 13 kB file whose layout claims
// gigabytes of storage for a string passed the check above and made the reader allocate 4 GB.
TEST(PreparedDataset, StorageClaimsBeyondTheFileSizeAreRefused) {
  const std::filesystem::path found =
      std::filesystem::path(DELREC_SOURCE_DIR) / "tests/fuzz/corpus/prepared_dataset/found-string-larger-than-file";
  std::string msg = test::error_message([&] { load_prepared(found); });
  EXPECT_NE(msg.find("stored bytes, more than the whole file (13400 bytes)"), std::string::npos) << msg;
}

TEST(PreparedDataset, NotHdf5AndMissingFiles) {
  test::TempDir dir;
  std::ofstream(dir / "text.h5") << "user,item\n";
  EXPECT_NE(test::error_message([&] { load_prepared(dir / "text.h5"); }).find("is not a readable HDF5 file"),
            std::string::npos);
  std::string msg = test::error_message([&] { load_prepared(dir / "none.h5"); });
  EXPECT_NE(msg.find("none.h5 does not exist"), std::string::npos) << msg;
  EXPECT_NE(msg.find("delrec data prepare"), std::string::npos) << msg;
}

}  // namespace
}  // namespace delrec::data
