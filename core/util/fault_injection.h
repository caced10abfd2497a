#pragma once
// A test hook that makes one rank fail at a named point of the pipeline, to check that one rank's error ends the
// whole job (no rank left waiting in a collective) and that the error names the rank and the cause:
//
//   DELREC_FAIL_AT=<point>[@<rank>]   e.g. DELREC_FAIL_AT=evaluation@1
//
// fail_point(point) throws delrec::Error on world rank <rank> (every rank when @<rank> is left out). The rank is the
// launcher's (OMPI_COMM_WORLD_RANK, PMIX_RANK, PMI_RANK, SLURM_PROCID; 0 for a lone process). Points:
//   checkpoint_publish   rank 0 publishing a checkpoint of a training stage
//   evaluation           each rank at the start of the evaluation step
//   teacher_cache_write  each rank before it writes its teacher-cache shards
//   adapter_write        between the two files of a LoRA adapter (its weights written, its config not yet)
//   fsync                every flush of a file or directory to disk reports EIO, as a failing disk does
// Unset (as in every real run), fail_point does nothing.
namespace delrec {

void fail_point(const char* point);

// True where fail_point(point) would throw: for points that stand for a system call's error, not an exception.
bool failure_injected(const char* point);

}  // namespace delrec
