#include "core/data/prepared_dataset.h"

#include <hdf5.h>

#include "core/util/atomic_file.h"
#include "core/util/error.h"

namespace fs = std::filesystem;

namespace delrec::data {
namespace {

// The innermost message of HDF5's error stack (the most specific), e.g. "truncated file: eof = 1024, ...".
std::string hdf5_error_detail() {
  std::string detail;
  H5Ewalk2(
      H5E_DEFAULT, H5E_WALK_UPWARD,
      [](unsigned n, const H5E_error2_t* e, void* out) -> herr_t {
        if (n == 0 && e->desc) *static_cast<std::string*>(out) = e->desc;
        return 0;
      },
      &detail);
  H5Eclear2(H5E_DEFAULT);
  return detail;
}

// Owns one HDF5 identifier and closes it with the matching H5?close, also when an error unwinds.
class H5Id {
 public:
  H5Id(hid_t id, herr_t (*close)(hid_t)) : id_(id), close_(close) {}
  ~H5Id() {
    if (id_ >= 0) close_(id_);
  }
  H5Id(const H5Id&) = delete;
  H5Id& operator=(const H5Id&) = delete;
  operator hid_t() const { return id_; }

 private:
  hid_t id_;
  herr_t (*close_)(hid_t);
};

// One open HDF5 file; every call is checked and a failure names the file, the object and HDF5's reason.
class H5File {
 public:
  H5File(const fs::path& path, bool create) : path_(path) {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);  // errors are reported through exceptions, not printed
    if (create) {
      id_ = check(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), "create the file");
      return;
    }
    DELREC_CHECK(fs::is_regular_file(path),
                 "prepared dataset {} does not exist; create it with `delrec data prepare --dataset NAME --source "
                 "DIR --out {}`",
                 path.string(), path.string());
    DELREC_CHECK(H5Fis_hdf5(path.c_str()) > 0,
                 "{} is not a readable HDF5 file (truncated or corrupt?); prepare it again with `delrec data prepare`",
                 path.string());
    hint_ = "; the file is damaged, prepare it again with `delrec data prepare`";
    id_ = check(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), "open the file");
  }
  ~H5File() {
    if (id_ >= 0) H5Fclose(id_);
  }
  H5File(const H5File&) = delete;
  H5File& operator=(const H5File&) = delete;

  // Closes explicitly so that errors while flushing are reported (the destructor cannot throw).
  void close() {
    hid_t id = id_;
    id_ = -1;
    check(H5Fclose(id), "close (flush) the file");
  }

  template <class T>
  T check(T result, const std::string& what) const {
    if (result < 0)
      throw Error(fmt::format("{}: HDF5 could not {}: {}{}", path_.string(), what, hdf5_error_detail(), hint_));
    return result;
  }
  [[noreturn]] void fail(const std::string& what) const {
    throw Error(
        fmt::format("{}: {}; the file is corrupt or from another program, prepare it again with `delrec data prepare`",
                    path_.string(), what));
  }

  void create_group(const char* name) {
    H5Id group(check(H5Gcreate2(id_, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), fmt::format("create {}", name)),
               H5Gclose);
  }

  // A contiguous array of the given shape.
  void write_array(const char* name, hid_t file_type, hid_t mem_type, const void* data, std::vector<hsize_t> dims) {
    H5Id space(check(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), "create a dataspace"),
               H5Sclose);
    H5Id set(check(H5Dcreate2(id_, name, file_type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                   fmt::format("create {}", name)),
             H5Dclose);
    check(H5Dwrite(set, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data), fmt::format("write {}", name));
  }
  void write_int64(const char* name, const std::vector<int64_t>& v, std::vector<hsize_t> dims) {
    write_array(name, H5T_STD_I64LE, H5T_NATIVE_INT64, v.data(), std::move(dims));
  }
  void write_bytes(const char* name, const std::string& bytes) {
    write_array(name, H5T_STD_U8LE, H5T_NATIVE_UINT8, bytes.data(), {bytes.size()});
  }
  // A scalar UTF-8 string dataset (shown as text by h5dump and h5py).
  void write_string(const char* name, const std::string& value) {
    H5Id type(check(H5Tcopy(H5T_C_S1), "copy the string type"), H5Tclose);
    check(H5Tset_size(type, std::max<size_t>(value.size(), 1)), "size a string type");  // HDF5 has no size 0
    check(H5Tset_cset(type, H5T_CSET_UTF8), "set UTF-8");
    check(H5Tset_strpad(type, H5T_STR_NULLPAD), "set string padding");
    H5Id space(check(H5Screate(H5S_SCALAR), "create a dataspace"), H5Sclose);
    H5Id set(check(H5Dcreate2(id_, name, type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                   fmt::format("create {}", name)),
             H5Dclose);
    const std::string padded = value.empty() ? std::string(1, '\0') : value;
    check(H5Dwrite(set, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, padded.data()), fmt::format("write {}", name));
  }
  void write_version_attribute(int64_t version) {
    H5Id space(check(H5Screate(H5S_SCALAR), "create a dataspace"), H5Sclose);
    H5Id attr(check(H5Acreate2(id_, "format_version", H5T_STD_I64LE, space, H5P_DEFAULT, H5P_DEFAULT),
                    "create the format_version attribute"),
              H5Aclose);
    check(H5Awrite(attr, H5T_NATIVE_INT64, &version), "write the format_version attribute");
  }

  int64_t read_version_attribute() const {
    if (H5Aexists(id_, "format_version") <= 0) fail("the format_version attribute is missing");
    H5Id attr(check(H5Aopen(id_, "format_version", H5P_DEFAULT), "open format_version"), H5Aclose);
    // One integer: an array-valued attribute would be read past the one-element buffer below.
    H5Id space(check(H5Aget_space(attr), "read the dataspace of format_version"), H5Sclose);
    H5Id type(check(H5Aget_type(attr), "read the type of format_version"), H5Tclose);
    if (H5Sget_simple_extent_npoints(space) != 1 || H5Tget_class(type) != H5T_INTEGER)
      fail("the format_version attribute is not one integer");
    int64_t version = 0;
    check(H5Aread(attr, H5T_NATIVE_INT64, &version), "read format_version");
    return version;
  }

  static constexpr size_t kMaxElements = size_t(1) << 36;  // 64 Gi: far beyond any interaction log
  // A dataset's rank must be `rank` and its element type of class `type_class` (HDF5 would convert silently).
  template <class T>
  std::vector<T> read_array(const char* name, hid_t mem_type, H5T_class_t type_class, size_t rank,
                            std::vector<hsize_t>* shape) const {
    H5Id set(open_dataset(name), H5Dclose);
    std::vector<hsize_t> dims = dataset_shape(set);
    H5Id type(check(H5Dget_type(set), fmt::format("read the type of {}", name)), H5Tclose);
    if (dims.size() != rank || H5Tget_class(type) != type_class)
      fail(fmt::format("dataset {} has rank {} or the wrong element type (expected rank {})", name, dims.size(), rank));
    // The file's own claims bound the allocation: the elements it declares must fit a sane size and be stored
    // (datasets are written uncompressed), so a crafted 10^10-row header is an error, not 80 GB of zeros.
    size_t count = 1;
    for (hsize_t d : dims) {
      if (d != 0 && count > kMaxElements / d)
        fail(fmt::format("dataset {} declares more than {} elements", name, kMaxElements));
      count *= d;
    }
    const hsize_t stored = stored_bytes(set, name);
    if (count > 0 && stored / std::max<size_t>(H5Tget_size(type), 1) < count)  // no overflow of count * size
      fail(fmt::format("dataset {} declares {} elements of {} bytes but stores only {} bytes", name, count,
                       H5Tget_size(type), stored));
    std::vector<T> out(count);
    if (count > 0)
      check(H5Dread(set, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()), fmt::format("read {}", name));
    if (shape) *shape = dims;
    return out;
  }
  std::vector<int64_t> read_int64(const char* name, std::vector<hsize_t>* shape = nullptr) const {
    return read_array<int64_t>(name, H5T_NATIVE_INT64, H5T_INTEGER, shape ? 2 : 1, shape);
  }
  std::string read_bytes(const char* name) const {
    auto v = read_array<char>(name, H5T_NATIVE_UINT8, H5T_INTEGER, 1, nullptr);
    return {v.begin(), v.end()};
  }
  std::string read_string(const char* name) const {
    H5Id set(open_dataset(name), H5Dclose);
    H5Id type(check(H5Dget_type(set), fmt::format("read the type of {}", name)), H5Tclose);
    if (H5Tget_class(type) != H5T_STRING || H5Tis_variable_str(type) != 0 || !dataset_shape(set).empty())
      fail(fmt::format("dataset {} is not a scalar fixed-length string", name));
    // The string's size is the file's claim too: a type declaring 2 GB over a few stored bytes is refused.
    const size_t size = H5Tget_size(type);
    const hsize_t stored = stored_bytes(set, name);
    if (stored < size)
      fail(fmt::format("dataset {} declares a string of {} bytes but stores only {} bytes", name, size, stored));
    std::string value(size, '\0');
    check(H5Dread(set, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, value.data()), fmt::format("read {}", name));
    value.resize(value.find_last_not_of('\0') + 1);  // npos + 1 == 0 for an all-padding value
    return value;
  }

 private:
  // The bytes a dataset stores, by HDF5's account, which is also the file's claim: more than the file holds is
  // damage (a 13 kB file claiming a 4 GB string).
  hsize_t stored_bytes(hid_t set, const char* name) const {
    const hsize_t stored = H5Dget_storage_size(set);
    const uintmax_t file_bytes = fs::file_size(path_);
    if (stored > file_bytes)
      fail(fmt::format("dataset {} claims {} stored bytes, more than the whole file ({} bytes)", name, stored,
                       file_bytes));
    return stored;
  }

  // A missing dataset is reported as such rather than as an HDF5 lookup failure.
  hid_t open_dataset(const char* name) const {
    // H5Lexists needs each parent group to exist before it can look at the child.
    const std::string group = fs::path(name).parent_path().string();
    if ((!group.empty() && group != "/" && H5Lexists(id_, group.c_str(), H5P_DEFAULT) <= 0) ||
        H5Lexists(id_, name, H5P_DEFAULT) <= 0)
      fail(fmt::format("dataset {} is missing", name));
    return check(H5Dopen2(id_, name, H5P_DEFAULT), fmt::format("open {}", name));
  }
  std::vector<hsize_t> dataset_shape(hid_t set) const {
    H5Id space(check(H5Dget_space(set), "read a dataspace"), H5Sclose);
    int rank = check(H5Sget_simple_extent_ndims(space), "read a rank");
    std::vector<hsize_t> dims(rank);
    if (rank > 0) check(H5Sget_simple_extent_dims(space, dims.data(), nullptr), "read a shape");
    return dims;
  }

  fs::path path_;
  std::string hint_;  // appended to HDF5 errors: what the user can do about them
  hid_t id_ = -1;
};

// Strings as one byte buffer plus offsets [n + 1]: string i is bytes[offsets[i], offsets[i+1]).
void write_strings(H5File& f, const std::string& group, const std::vector<std::string>& values) {
  std::string bytes;
  std::vector<int64_t> offsets{0};
  for (const auto& s : values) offsets.push_back(static_cast<int64_t>((bytes += s).size()));
  f.write_bytes((group + "_bytes").c_str(), bytes);
  f.write_int64((group + "_offsets").c_str(), offsets, {offsets.size()});
}

// Rows as one flat array plus offsets [n + 1].
void write_rows(H5File& f, const std::string& values_name, const std::string& offsets_name,
                const std::vector<std::vector<int64_t>>& rows) {
  std::vector<int64_t> flat, offsets{0};
  for (const auto& r : rows) {
    flat.insert(flat.end(), r.begin(), r.end());
    offsets.push_back(static_cast<int64_t>(flat.size()));
  }
  f.write_int64(values_name.c_str(), flat, {flat.size()});
  if (!offsets_name.empty()) f.write_int64(offsets_name.c_str(), offsets, {offsets.size()});
}

void write_table(H5File& f, const char* name, const std::vector<std::vector<int64_t>>& rows) {
  std::vector<int64_t> flat;
  for (const auto& r : rows) flat.insert(flat.end(), r.begin(), r.end());
  const hsize_t cols = rows.empty() ? 0 : rows[0].size();
  f.write_int64(name, flat, {rows.size(), cols});
}

void check_offsets(const H5File& f, const char* name, const std::vector<int64_t>& offsets, size_t count, size_t total) {
  if (offsets.size() != count + 1)
    f.fail(fmt::format("{} has {} entries, expected {}", name, offsets.size(), count + 1));
  if (offsets.front() != 0 || static_cast<size_t>(offsets.back()) != total)
    f.fail(fmt::format("{} does not span its data (0..{})", name, total));
  for (size_t i = 0; i < count; ++i)
    if (offsets[i] > offsets[i + 1]) f.fail(fmt::format("{} decreases at entry {}", name, i));
}

std::vector<std::string> read_strings(const H5File& f, const std::string& group, size_t count) {
  std::string bytes = f.read_bytes((group + "_bytes").c_str());
  std::vector<int64_t> offsets = f.read_int64((group + "_offsets").c_str());
  check_offsets(f, (group + "_offsets").c_str(), offsets, count, bytes.size());
  std::vector<std::string> out(count);
  for (size_t i = 0; i < count; ++i) out[i] = bytes.substr(offsets[i], offsets[i + 1] - offsets[i]);
  return out;
}

// A [rows, C] candidate table with every id in 1..num_items.
std::vector<std::vector<int64_t>> read_table(const H5File& f, const char* name, size_t rows, int64_t num_items) {
  std::vector<hsize_t> shape;
  std::vector<int64_t> flat = f.read_int64(name, &shape);
  if (shape[0] != rows || shape[1] < 2)
    f.fail(fmt::format("{} has shape [{}, {}], expected [{}, C >= 2]", name, shape[0], shape[1], rows));
  const size_t cols = shape[1];
  std::vector<std::vector<int64_t>> out(rows);
  for (size_t r = 0; r < rows; ++r) {
    out[r].assign(flat.begin() + r * cols, flat.begin() + (r + 1) * cols);
    for (int64_t id : out[r])
      if (id < 1 || id > num_items)
        f.fail(fmt::format("{} row {} holds item id {} outside 1..{}", name, r, id, num_items));
  }
  return out;
}

}  // namespace

void save_prepared(const Dataset& d, const fs::path& path) {
  DELREC_CHECK(d.valid_candidates.size() == d.sequences.size() && d.test_candidates.size() == d.sequences.size(),
               "dataset '{}' has no candidate sets; build it with data::prepare", d.name);
  write_atomically(path, [&](const fs::path& tmp) {
    H5File f(tmp, /*create=*/true);
    f.write_version_attribute(kPreparedFormatVersion);
    f.write_string("name", d.name);
    f.write_string("fingerprint", d.fingerprint);
    f.write_string("recipe_yaml", d.recipe_yaml);
    for (const char* group : {"/users", "/items", "/sequences", "/candidates"}) f.create_group(group);
    write_strings(f, "/users/key", d.user_keys);
    write_strings(f, "/items/key", d.item_keys);
    write_strings(f, "/items/title", d.item_titles);
    write_rows(f, "/sequences/items", "/sequences/offsets", d.sequences);
    write_rows(f, "/sequences/timestamps", "", d.timestamps);
    write_table(f, "/candidates/valid", d.valid_candidates);
    write_table(f, "/candidates/test", d.test_candidates);
    f.close();
  });
}

Dataset load_prepared(const fs::path& path) {
  H5File f(path, /*create=*/false);
  const int64_t version = f.read_version_attribute();
  if (version != kPreparedFormatVersion)
    throw Error(
        fmt::format("{}: prepared-dataset format version {}, this delrec reads version {}; prepare it again "
                    "with `delrec data prepare`",
                    path.string(), version, kPreparedFormatVersion));
  Dataset d;
  d.name = f.read_string("name");
  d.fingerprint = f.read_string("fingerprint");
  d.recipe_yaml = f.read_string("recipe_yaml");

  const std::vector<int64_t> offsets = f.read_int64("/sequences/offsets");
  if (offsets.empty()) f.fail("/sequences/offsets is empty");
  const size_t num_users = offsets.size() - 1;
  const std::vector<int64_t> items = f.read_int64("/sequences/items");
  const std::vector<int64_t> times = f.read_int64("/sequences/timestamps");
  check_offsets(f, "/sequences/offsets", offsets, num_users, items.size());
  if (times.size() != items.size()) f.fail("/sequences/timestamps and /sequences/items differ in length");

  const std::vector<int64_t> item_key_offsets = f.read_int64("/items/key_offsets");
  if (item_key_offsets.size() < 2) f.fail("/items/key_offsets has fewer than 2 entries");
  const int64_t num_items = static_cast<int64_t>(item_key_offsets.size()) - 2;
  d.user_keys = read_strings(f, "/users/key", num_users);
  d.item_keys = read_strings(f, "/items/key", num_items + 1);
  d.item_titles = read_strings(f, "/items/title", num_items + 1);

  d.sequences.resize(num_users);
  d.timestamps.resize(num_users);
  for (size_t u = 0; u < num_users; ++u) {
    d.sequences[u].assign(items.begin() + offsets[u], items.begin() + offsets[u + 1]);
    d.timestamps[u].assign(times.begin() + offsets[u], times.begin() + offsets[u + 1]);
    if (d.sequences[u].size() < 3)
      f.fail(fmt::format("user {} has {} interactions, fewer than 3", u, d.sequences[u].size()));
    for (int64_t id : d.sequences[u])
      if (id < 1 || id > num_items) f.fail(fmt::format("user {} has item id {} outside 1..{}", u, id, num_items));
  }

  d.valid_candidates = read_table(f, "/candidates/valid", num_users, num_items);
  d.test_candidates = read_table(f, "/candidates/test", num_users, num_items);
  if (num_users > 0 && d.valid_candidates[0].size() != d.test_candidates[0].size())
    f.fail("/candidates/valid and /candidates/test have different numbers of candidates");
  for (size_t u = 0; u < num_users; ++u)
    if (d.valid_candidates[u][0] != d.valid_target(u) || d.test_candidates[u][0] != d.test_target(u))
      f.fail(fmt::format("candidate row {} does not start with the user's target item", u));

  if (compute_fingerprint(d) != d.fingerprint)
    f.fail(fmt::format("the content does not match its fingerprint {}", d.fingerprint));
  return d;
}

}  // namespace delrec::data
