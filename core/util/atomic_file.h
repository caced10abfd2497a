#pragma once
// Outputs are never half-written: write to `<path>.tmp.<pid>` in the same directory, flush it to disk, then
// rename over `path` (rename is atomic within one filesystem). A crash leaves either the old file or the new one.
#include <filesystem>
#include <functional>
#include <string>

namespace delrec {

// Calls write(tmp_path) to produce the file, then publishes it as `path`. If write throws, the temporary file is
// removed and the exception propagates; `path` is untouched. `write` may also create a directory at tmp_path
// (published as a whole; `path` must not exist then).
void write_atomically(const std::filesystem::path& path,
                      const std::function<void(const std::filesystem::path& tmp_path)>& write);

// Convenience for text and small binary files.
void write_file_atomically(const std::filesystem::path& path, const std::string& contents);

// Reads a whole file; a missing file is an Error naming the path.
std::string read_file(const std::filesystem::path& path);

// fsync a file or directory so a rename survives a power loss (best effort on filesystems without it).
void sync_path(const std::filesystem::path& path);

}  // namespace delrec
