#include "core/util/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core/util/error.h"
#include "core/util/fault_injection.h"

namespace fs = std::filesystem;

namespace delrec {

void sync_path(const fs::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  DELREC_CHECK(fd >= 0, "cannot open {} to flush it to disk: {}", path.string(), std::strerror(errno));
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (failure_injected("fsync")) rc = -1, err = EIO;
  // EINVAL: the filesystem cannot sync this kind of file (some do not sync directories); nothing to do there.
  if (rc != 0 && err != EINVAL) {
    throw Error(fmt::format("cannot flush {} to disk: {}; the output is not safely written (disk full or failing? "
                            "free space or move run.out_dir, then rerun)", path.string(), std::strerror(err)));
  }
}

void write_atomically(const fs::path& path, const std::function<void(const fs::path&)>& write) {
  fs::path parent = path.parent_path().empty() ? fs::path(".") : path.parent_path();
  std::error_code ec;
  fs::create_directories(parent, ec);
  DELREC_CHECK(!ec, "cannot create directory {}: {}", parent.string(), ec.message());
  fs::path tmp = path;
  tmp += ".tmp." + std::to_string(::getpid());
  try {
    write(tmp);
    sync_path(tmp);
  } catch (...) {
    fs::remove_all(tmp, ec);  // a file, or a directory written by `write`
    throw;
  }
  fs::rename(tmp, path, ec);
  if (ec) {
    fs::remove_all(tmp, ec);
    throw Error(fmt::format("cannot rename {} to {}: {}", tmp.string(), path.string(), ec.message()));
  }
  sync_path(parent);
}

void write_file_atomically(const fs::path& path, const std::string& contents) {
  write_atomically(path, [&](const fs::path& tmp) {
    std::ofstream out(tmp, std::ios::binary);
    DELREC_CHECK(out.good(), "cannot write {}: {}", tmp.string(), std::strerror(errno));
    out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
    out.close();
    DELREC_CHECK(out.good(), "error while writing {} (disk full?)", tmp.string());
  });
}

std::string read_file(const fs::path& path) {
  // Checked before opening: opening a FIFO for reading blocks until a writer appears.
  DELREC_CHECK(!fs::exists(path) || fs::is_regular_file(path), "cannot read {}: not a regular file", path.string());
  std::ifstream in(path, std::ios::binary);
  DELREC_CHECK(in.good(), "cannot open {}: {} (check the path)", path.string(),
               fs::exists(path) ? "permission denied or not a regular file" : "no such file");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace delrec
