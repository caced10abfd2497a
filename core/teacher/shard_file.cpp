#include "core/teacher/shard_file.h"

#include <hdf5.h>

#include <algorithm>

#include "core/util/error.h"

namespace delrec::teacher {
namespace {

constexpr int64_t kChunkRows = 1024;
constexpr unsigned kDeflateLevel = 4;

// Throws when an HDF5 call reports failure (a negative id or status).
template <class T>
T check(T result, const std::filesystem::path& path, const std::string& what) {
  if (result < 0)
    throw Error(fmt::format("teacher cache shard {}: {} failed; the file is truncated or corrupt, or the disk is "
                            "full. Rebuild the cache with `delrec teacher cache RECIPE`",
                            path.string(), what));
  return result;
}

// Closes an HDF5 object id when leaving scope.
struct Handle {
  hid_t id;
  herr_t (*close)(hid_t);
  ~Handle() {
    if (id >= 0) close(id);
  }
};

hid_t memory_type(torch::ScalarType dtype) {
  switch (dtype) {
    case torch::kInt8: return H5T_NATIVE_INT8;
    case torch::kInt32: return H5T_NATIVE_INT32;
    case torch::kInt64: return H5T_NATIVE_INT64;
    case torch::kFloat32: return H5T_NATIVE_FLOAT;
    default: throw Error(fmt::format("teacher cache: unsupported array dtype {}", c10::toString(dtype)));
  }
}

torch::ScalarType stored_dtype(hid_t type, const std::filesystem::path& path, const std::string& name) {
  const auto cls = H5Tget_class(type);
  const size_t size = H5Tget_size(type);
  if (cls == H5T_FLOAT && size == 4) return torch::kFloat32;
  if (cls == H5T_INTEGER && size == 1) return torch::kInt8;
  if (cls == H5T_INTEGER && size == 4) return torch::kInt32;
  if (cls == H5T_INTEGER && size == 8) return torch::kInt64;
  throw Error(fmt::format("teacher cache shard {}: array '{}' has an unexpected element type", path.string(), name));
}

void silence_hdf5_errors() {
  // Errors are reported through delrec::Error; HDF5's own stack dump on stderr would only add noise.
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
}

}  // namespace

ShardWriter::ShardWriter(const std::filesystem::path& path) : path_(path) {
  silence_hdf5_errors();
  file_ = check(H5Fcreate(path.string().c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), path_, "create");
}

ShardWriter::~ShardWriter() {
  if (file_ >= 0) H5Fclose(file_);
}

void ShardWriter::write(const std::string& name, const torch::Tensor& array) {
  DELREC_CHECK(array.dim() == 1 || array.dim() == 2, "teacher cache: array '{}' must be 1-D or 2-D", name);
  const auto a = array.contiguous();
  hsize_t dims[2] = {hsize_t(a.size(0)), a.dim() == 2 ? hsize_t(a.size(1)) : 1};
  hsize_t chunk[2] = {hsize_t(std::clamp<int64_t>(a.size(0), 1, kChunkRows)), dims[1]};
  const int rank = a.dim();
  Handle space{check(H5Screate_simple(rank, dims, nullptr), path_, "dataspace of " + name), H5Sclose};
  Handle props{check(H5Pcreate(H5P_DATASET_CREATE), path_, "properties of " + name), H5Pclose};
  if (dims[0] > 0) {
    check(H5Pset_chunk(props.id, rank, chunk), path_, "chunking of " + name);
    check(H5Pset_shuffle(props.id), path_, "shuffle filter of " + name);
    check(H5Pset_deflate(props.id, kDeflateLevel), path_, "deflate filter of " + name);
  }
  const hid_t type = memory_type(a.scalar_type());
  Handle set{check(H5Dcreate2(file_, name.c_str(), type, space.id, H5P_DEFAULT, props.id, H5P_DEFAULT), path_,
                   "create array " + name),
             H5Dclose};
  check(H5Dwrite(set.id, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, a.data_ptr()), path_, "write array " + name);
}

void ShardWriter::set_attribute(const std::string& name, int64_t value) {
  Handle space{check(H5Screate(H5S_SCALAR), path_, "attribute " + name), H5Sclose};
  Handle attr{check(H5Acreate2(file_, name.c_str(), H5T_NATIVE_INT64, space.id, H5P_DEFAULT, H5P_DEFAULT), path_,
                    "attribute " + name),
              H5Aclose};
  check(H5Awrite(attr.id, H5T_NATIVE_INT64, &value), path_, "attribute " + name);
}

void ShardWriter::set_attribute(const std::string& name, const std::string& value) {
  Handle type{check(H5Tcopy(H5T_C_S1), path_, "attribute " + name), H5Tclose};
  check(H5Tset_size(type.id, std::max<size_t>(value.size(), 1)), path_, "attribute " + name);
  Handle space{check(H5Screate(H5S_SCALAR), path_, "attribute " + name), H5Sclose};
  Handle attr{check(H5Acreate2(file_, name.c_str(), type.id, space.id, H5P_DEFAULT, H5P_DEFAULT), path_,
                    "attribute " + name),
              H5Aclose};
  std::string padded = value.empty() ? std::string(1, '\0') : value;
  check(H5Awrite(attr.id, type.id, padded.data()), path_, "attribute " + name);
}

void ShardWriter::close() {
  if (file_ < 0) return;
  const hid_t file = file_;
  file_ = -1;
  check(H5Fclose(file), path_, "close");
}

ShardReader::ShardReader(const std::filesystem::path& path) : path_(path) {
  silence_hdf5_errors();
  DELREC_CHECK(std::filesystem::exists(path),
               "teacher cache shard {} is missing; rebuild the cache with `delrec teacher cache RECIPE`",
               path.string());
  // HDF5 opens without O_NONBLOCK: a FIFO would block here.
  DELREC_CHECK(std::filesystem::is_regular_file(path), "teacher cache shard {} is not a regular file; rebuild the "
               "cache with `delrec teacher cache RECIPE`", path.string());
  file_ = check(H5Fopen(path.string().c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), path_, "open (not a readable HDF5 file)");
}

ShardReader::~ShardReader() {
  if (file_ >= 0) H5Fclose(file_);
}

std::vector<int64_t> ShardReader::shape(const std::string& name) const {
  Handle set{check(H5Dopen2(file_, name.c_str(), H5P_DEFAULT), path_, "open array " + name), H5Dclose};
  Handle space{check(H5Dget_space(set.id), path_, "shape of " + name), H5Sclose};
  // The rank first: the dimensions are read into a two-element array.
  const int rank = check(H5Sget_simple_extent_ndims(space.id), path_, "rank of " + name);
  DELREC_CHECK(rank == 1 || rank == 2, "teacher cache shard {}: array '{}' has rank {} (expected 1 or 2)",
               path_.string(), name, rank);
  hsize_t dims[2] = {0, 0};
  check(H5Sget_simple_extent_dims(space.id, dims, nullptr), path_, "shape of " + name);
  return rank == 1 ? std::vector<int64_t>{int64_t(dims[0])} : std::vector<int64_t>{int64_t(dims[0]), int64_t(dims[1])};
}

torch::Tensor ShardReader::read_rows(const std::string& name, int64_t begin, int64_t end) const {
  auto dims = shape(name);
  DELREC_CHECK(0 <= begin && begin <= end && end <= dims[0], "teacher cache shard {}: rows [{}, {}) of '{}' out of "
               "range (it has {})", path_.string(), begin, end, name, dims[0]);
  Handle set{check(H5Dopen2(file_, name.c_str(), H5P_DEFAULT), path_, "open array " + name), H5Dclose};
  Handle type{check(H5Dget_type(set.id), path_, "type of " + name), H5Tclose};
  const auto dtype = stored_dtype(type.id, path_, name);
  dims[0] = end - begin;
  auto out = torch::empty(dims, dtype);
  if (end == begin) return out;
  Handle file_space{check(H5Dget_space(set.id), path_, "dataspace of " + name), H5Sclose};
  hsize_t start[2] = {hsize_t(begin), 0};
  hsize_t count[2] = {hsize_t(end - begin), dims.size() == 2 ? hsize_t(dims[1]) : 1};
  check(H5Sselect_hyperslab(file_space.id, H5S_SELECT_SET, start, nullptr, count, nullptr), path_,
        "select rows of " + name);
  Handle memory_space{check(H5Screate_simple(int(dims.size()), count, nullptr), path_, "dataspace of " + name),
                      H5Sclose};
  check(H5Dread(set.id, memory_type(dtype), memory_space.id, file_space.id, H5P_DEFAULT, out.data_ptr()), path_,
        fmt::format("read rows [{}, {}) of array {}", begin, end, name));
  return out;
}

// An attribute must hold one value of `type_class`: an array or another class would be read past (or
// misread into) the one-value buffer.
static void check_single(const std::filesystem::path& path, hid_t attr, H5T_class_t type_class,
                         const std::string& name) {
  Handle space{check(H5Aget_space(attr), path, "dataspace of attribute " + name), H5Sclose};
  Handle type{check(H5Aget_type(attr), path, "type of attribute " + name), H5Tclose};
  DELREC_CHECK(H5Sget_simple_extent_npoints(space.id) == 1 && H5Tget_class(type.id) == type_class &&
                   (type_class != H5T_STRING || (H5Tis_variable_str(type.id) == 0 && H5Tget_size(type.id) <= 4096)),
               "teacher cache shard {}: attribute '{}' is not a single {}; rebuild the cache (`delrec teacher cache "
               "RECIPE`)", path.string(), name, type_class == H5T_STRING ? "short fixed-length string" : "integer");
}

int64_t ShardReader::int_attribute(const std::string& name) const {
  Handle attr{check(H5Aopen(file_, name.c_str(), H5P_DEFAULT), path_, "attribute " + name), H5Aclose};
  check_single(path_, attr.id, H5T_INTEGER, name);
  int64_t value = 0;
  check(H5Aread(attr.id, H5T_NATIVE_INT64, &value), path_, "attribute " + name);
  return value;
}

std::string ShardReader::string_attribute(const std::string& name) const {
  Handle attr{check(H5Aopen(file_, name.c_str(), H5P_DEFAULT), path_, "attribute " + name), H5Aclose};
  check_single(path_, attr.id, H5T_STRING, name);
  Handle type{check(H5Aget_type(attr.id), path_, "attribute " + name), H5Tclose};
  std::string value(H5Tget_size(type.id), '\0');
  check(H5Aread(attr.id, type.id, value.data()), path_, "attribute " + name);
  return value.substr(0, value.find('\0'));
}

}  // namespace delrec::teacher
