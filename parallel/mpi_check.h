#pragma once
// Every MPI call goes through DELREC_MPI_CHECK: a failure throws std::runtime_error naming the call, file:line,
// the world rank and MPI's own message. Communicators are set to MPI_ERRORS_RETURN so that errors come back here
// instead of aborting the job.
#include <mpi.h>

namespace delrec::parallel::detail {

// Throws when result != MPI_SUCCESS.
void check_mpi(int result, const char* call, const char* file, int line);

}  // namespace delrec::parallel::detail

#define DELREC_MPI_CHECK(call) ::delrec::parallel::detail::check_mpi((call), #call, __FILE__, __LINE__)
