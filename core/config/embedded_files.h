#pragma once
// Text files compiled into the binary at build time, so that `delrec quickstart` and `delrec slurm submit` need
// nothing beside the executable.
namespace delrec::config {

extern const char* const kQuickstartRecipe;  // recipes/quickstart.yaml
extern const char* const kSlurmTemplate;     // slurm/delrec.sbatch.in

}  // namespace delrec::config
