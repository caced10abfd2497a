// Fuzz target: a prepared dataset file (core/data/prepared_dataset.cpp). The input is the whole HDF5 file; the
// reader must refuse with an Error whatever is wrong with its structure, id ranges, split or fingerprint. HDF5
// itself is not instrumented: libFuzzer steers by the coverage of our checks only.
#include "core/data/prepared_dataset.h"
#include "tests/fuzz/fuzz_support.h"
#include "tests/fuzz/hdf5_objects.h"

using namespace delrec;

// HDF5 allocates buffers of sizes read from the file (H5C_protect): a damaged size asks malloc for terabytes. With
// glibc that returns null and HDF5 reports an error; ASan would abort instead, so it is told to return null too.
// Project code is still covered: operator new does not return null, so ASan still reports a huge `new`.
extern "C" const char* __asan_default_options() { return "allocator_may_return_null=1"; }

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto path = fuzz::scratch_dir() / "prepared.h5";
  fuzz::write_file(path, fuzz::as_text(data, size));
  fuzz::refused_or_accepted([&] { data::load_prepared(path); });
  fuzz::expect_no_open_hdf5_objects();
  return 0;
}
