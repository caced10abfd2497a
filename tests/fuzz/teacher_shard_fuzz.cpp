// Fuzz target: one teacher-cache shard file (core/teacher/shard_file.cpp), read the way TeacherCacheReader reads
// it: the attributes, the shape of every array, then its rows. The cache reads rows only after the shapes matched
// its manifest, which bounds them; here arrays over 2^16 elements are not read, as the manifest would refuse them.
#include <string>

#include "core/teacher/shard_file.h"
#include "tests/fuzz/fuzz_support.h"
#include "tests/fuzz/hdf5_objects.h"

using namespace delrec;

// HDF5 allocates buffers of sizes read from the file (H5C_protect): a damaged size asks malloc for terabytes. With
// glibc that returns null and HDF5 reports an error; ASan would abort instead, so it is told to return null too.
// Project code is still covered: operator new does not return null, so ASan still reports a huge `new`.
extern "C" const char* __asan_default_options() { return "allocator_may_return_null=1"; }

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto path = fuzz::scratch_dir() / "shard.h5";
  fuzz::write_file(path, fuzz::as_text(data, size));
  fuzz::refused_or_accepted([&] {
    teacher::ShardReader shard(path);
    fuzz::refused_or_accepted([&] { shard.string_attribute("dataset_fingerprint"); });
    fuzz::refused_or_accepted([&] { shard.int_attribute("begin"); });
    for (const char* name : {"user", "position", "kind", "candidates", "candidate_scores", "topk_items",
                             "topk_scores"}) {
      fuzz::refused_or_accepted([&] {
        const auto shape = shard.shape(name);
        const int64_t cols = shape.size() == 2 ? shape[1] : 1;
        if (shape[0] > 0 && cols > 0 && shape[0] <= (1 << 16) / cols) shard.read_rows(name, 0, shape[0]);
      });
    }
  });
  fuzz::expect_no_open_hdf5_objects();
  return 0;
}
