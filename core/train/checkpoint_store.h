#pragma once
// A directory of checkpoints that a crash can never leave half-published:
//
//   <root>/step-000120.tmp/   being written (ignored by readers, removed by the next save or resume)
//   <root>/step-000120/       complete: every rank's files plus manifest.json (sizes and CRC-32 of each file)
//   <root>/latest             the name of the newest complete checkpoint, replaced atomically
//
// Save: rank 0 creates step-N.tmp/; every rank writes its own files into it; after a barrier rank 0 checksums
// them, writes manifest.json, fsyncs, renames step-N.tmp -> step-N, then replaces `latest` (write latest.tmp,
// rename) and deletes all but the newest `keep_last` checkpoints. The directory must be on a filesystem every
// rank sees (a cluster's shared filesystem; any local disk for a single node).
//
// Resume: the newest checkpoint whose manifest is present and whose files all match their size and CRC-32 is
// used; a broken one is reported (which file, what is wrong) and skipped for the previous complete one.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "parallel/communicator.h"

namespace delrec::train {

struct CheckpointInfo {
  int64_t step = 0;
  std::filesystem::path dir;  // <root>/step-NNNNNN
};

class CheckpointStore {
 public:
  CheckpointStore(std::filesystem::path root, int keep_last);

  // Collective over `comm` (nullptr = a single process). `write_files(dir)` writes this rank's files into `dir`
  // (names must differ between ranks, e.g. "rank-00003.safetensors"). Returns the published directory.
  // Equivalent to begin(), every rank writing, a barrier, publish() on rank 0 and a barrier.
  std::filesystem::path save(int64_t step, const std::function<void(const std::filesystem::path& dir)>& write_files,
                             parallel::Communicator* comm = nullptr);

  // The two halves of save() for a save that writes in the background (docs/resilience.md, async_save):
  // begin() is collective: rank 0 (re)creates <root>/step-N.tmp/, returned once every rank may write into it.
  std::filesystem::path begin(int64_t step, parallel::Communicator* comm = nullptr);
  // One process (rank 0), once every rank's files are in step-N.tmp/ and closed: checksums them into the
  // manifest, fsyncs, renames step-N.tmp -> step-N, replaces `latest`, drops all but the newest keep_last.
  std::filesystem::path publish(int64_t step) const;

  // The newest complete and intact checkpoint, verifying every file; broken ones are logged and skipped.
  std::optional<CheckpointInfo> latest_complete() const;

  // Checks one checkpoint against its manifest; returns an empty string when intact, else what is wrong.
  static std::string verify(const std::filesystem::path& dir);

  // Removes leftover step-*.tmp directories of interrupted saves.
  void remove_partial() const;

  // What is on disk, without verifying: published step-N/ directories (oldest first), leftover step-N.tmp/
  // directories (sorted), and the directory name `latest` holds ("" when there is none).
  std::vector<CheckpointInfo> complete_by_step() const;
  std::vector<std::filesystem::path> partial() const;
  std::string latest_name() const;

  const std::filesystem::path& root() const { return root_; }
  std::filesystem::path step_dir(int64_t step) const;  // <root>/step-NNNNNN

 private:
  std::filesystem::path tmp_dir(int64_t step) const;   // <root>/step-NNNNNN.tmp

  std::filesystem::path root_;
  int keep_last_;
};

}  // namespace delrec::train
