#pragma once
// For the HDF5 fuzz targets: once a reader returns or throws, it must have closed every HDF5 file, group, dataset,
// dataspace, type and attribute it opened. A leaked identifier keeps the file and its metadata cache open in the
// library, so a long run of a leaky reader grows without bound.
#include <hdf5.h>

#include <cstdio>
#include <cstdlib>

namespace delrec::fuzz {

inline void expect_no_open_hdf5_objects() {
  const ssize_t open = H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL);
  if (open != 0) {
    std::fprintf(stderr, "finding: %zd HDF5 objects left open by the reader\n", open);
    std::abort();
  }
}

}  // namespace delrec::fuzz
