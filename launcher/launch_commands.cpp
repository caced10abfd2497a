// `delrec launch`: starts a delrec subcommand on N ranks through mpirun. Each rank learns the tensor-parallel size
// from DELREC_TP and picks its GPU from its local rank (parallel/world.h). Inside a Slurm allocation mpirun
// places the ranks on the allocation's nodes. NCCL_*, DELREC_*, CUDA_VISIBLE_DEVICES and LD_LIBRARY_PATH are
// forwarded to every rank (`-x NAME`), remote ones included.
#include <fmt/format.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "core/run/slurm_script.h"
#include "core/util/error.h"
#include "launcher/commands.h"
#include "parallel/layout.h"

namespace delrec::cli {
namespace {

struct LaunchArgs {
  int ranks = 1;
  std::string hosts;
  int tp = 1;
  bool dry_run = false;
  std::vector<std::string> command;  // the delrec subcommand and its arguments
};

// Variables that must reach every rank, also those mpirun starts on other hosts (which get a fresh environment
// from ssh or the batch system): NCCL's settings (interfaces, timeouts, debug), the GPUs a site assigns, where
// the libraries are, and delrec's own.
bool forwarded(const std::string& name) {
  return name.rfind("NCCL_", 0) == 0 || name.rfind("DELREC_", 0) == 0 || name == "CUDA_VISIBLE_DEVICES" ||
         name == "LD_LIBRARY_PATH";
}

// `-x NAME` for each forwarded variable set here (mpirun copies its value), in sorted order.
std::vector<std::string> forwarded_environment() {
  std::vector<std::string> names;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry(*e);
    const std::string name = entry.substr(0, entry.find('='));
    if (forwarded(name) && name != "DELREC_TP") names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  std::vector<std::string> args;
  for (const auto& name : names) args.insert(args.end(), {"-x", name});
  return args;
}

std::vector<std::string> mpirun_command_line(const LaunchArgs& args) {
  try {
    parallel::Layout::from_tp(args.ranks, 0, args.tp);
  } catch (const std::invalid_argument& e) {
    throw UsageError(fmt::format("delrec launch -n {} --tp {}: {}", args.ranks, args.tp, e.what()));
  }
  std::vector<std::string> argv{"mpirun", "-n", std::to_string(args.ranks)};
  const char* slurm_job = std::getenv("SLURM_JOB_ID");
  if (slurm_job != nullptr) {
    if (!args.hosts.empty())
      throw UsageError(fmt::format("delrec launch: --hosts given inside Slurm job {}; the ranks go on the job's "
                                   "nodes, so drop --hosts (or request other nodes from Slurm)",
                                   slurm_job));
  } else if (!args.hosts.empty()) {
    argv.insert(argv.end(), {"--host", args.hosts});
  } else {
    unsigned cores = std::thread::hardware_concurrency();
    if (cores > 0 && static_cast<unsigned>(args.ranks) > cores) {
      spdlog::warn("delrec launch: {} ranks on {} cores; adding --oversubscribe (ranks will share cores and run "
                   "slower)",
                   args.ranks, cores);
      argv.push_back("--oversubscribe");
    }
  }
  // LibTorch runs its own thread pool in every rank; pinning a rank to one core would serialise it.
  argv.insert(argv.end(), {"--bind-to", "none", "-x", fmt::format("DELREC_TP={}", args.tp)});
  const auto environment = forwarded_environment();
  argv.insert(argv.end(), environment.begin(), environment.end());
  argv.push_back(std::filesystem::read_symlink("/proc/self/exe").string());
  argv.insert(argv.end(), args.command.begin(), args.command.end());
  return argv;
}

// Words the shell would not interpret are shown bare, for a readable line; the others go through the one quoting
// function the job scripts use.
std::string shell_word(const std::string& arg) {
  if (!arg.empty() && arg.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,@+")
                          == std::string::npos)
    return arg;
  return run::shell_quote(arg);
}

// The pid of mpirun, for the signal handler (a handler can only reach process-wide state).
volatile sig_atomic_t g_mpirun_pid = 0;

// A terminal's Ctrl-C already reaches mpirun, which shares our process group; forward only the signals another
// process sent to us (kill, scancel, a batch system's preemption notice).
void forward_signal(int sig, siginfo_t* info, void*) {
  if (g_mpirun_pid > 0 && info != nullptr && info->si_code <= 0) kill(g_mpirun_pid, sig);
}

// Runs argv, forwarding SIGINT and SIGTERM; returns its exit code (128 + signal when it was killed). mpirun
// exits with the status of the first rank that failed, or 0 when every rank succeeded.
int run_forwarding_signals(const std::vector<std::string>& argv) {
  std::vector<char*> c_argv;
  for (const auto& arg : argv) c_argv.push_back(const_cast<char*>(arg.c_str()));
  c_argv.push_back(nullptr);
  pid_t child = fork();
  if (child < 0) throw Error(fmt::format("delrec launch: fork failed: {}", std::strerror(errno)));
  if (child == 0) {
    execvp(c_argv[0], c_argv.data());
    std::fprintf(stderr, "delrec launch: cannot run %s: %s; install Open MPI and put mpirun on PATH\n", c_argv[0],
                 std::strerror(errno));
    _exit(127);
  }
  g_mpirun_pid = child;
  struct sigaction action {}, old_int{}, old_term{};
  action.sa_sigaction = forward_signal;
  action.sa_flags = SA_SIGINFO | SA_RESTART;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, &old_int);
  sigaction(SIGTERM, &action, &old_term);
  int status = 0;
  pid_t waited;
  while ((waited = waitpid(child, &status, 0)) < 0 && errno == EINTR) {
  }
  int wait_errno = errno;
  sigaction(SIGINT, &old_int, nullptr);
  sigaction(SIGTERM, &old_term, nullptr);
  g_mpirun_pid = 0;
  if (waited < 0) throw Error(fmt::format("delrec launch: waiting for mpirun failed: {}", std::strerror(wait_errno)));
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string join_for_shell(const std::vector<std::string>& argv) {
  std::string line;
  for (const auto& arg : argv) line += (line.empty() ? "" : " ") + shell_word(arg);
  return line;
}

}  // namespace

void add_launch_commands(CLI::App& app) {
  auto args = std::make_shared<LaunchArgs>();
  CLI::App* launch = app.add_subcommand(
      "launch", "Run a delrec subcommand on N ranks through mpirun: delrec launch -n 4 --tp 2 -- run recipe.yaml");
  launch->add_option("-n,--ranks", args->ranks, "Number of ranks (one per GPU on GPU machines)")
      ->required()
      ->check(CLI::PositiveNumber);
  launch->add_option("--hosts", args->hosts,
                     "Hosts and slots in mpirun --host form, e.g. node1:4,node2:4 (not inside Slurm, which uses "
                     "the allocation)");
  launch->add_option("--tp", args->tp, "Tensor-parallel size; it must divide -n (dp = n / tp)")
      ->check(CLI::PositiveNumber);
  launch->add_flag("--dry-run", args->dry_run, "Print the mpirun command line instead of running it");
  launch->add_option("command", args->command, "The delrec subcommand and its arguments, after --")->required();
  launch->callback([args] {
    std::vector<std::string> argv = mpirun_command_line(*args);
    if (args->dry_run) {
      std::printf("%s\n", join_for_shell(argv).c_str());
      return;
    }
    spdlog::info("delrec launch: {}", join_for_shell(argv));
    int code = run_forwarding_signals(argv);
    if (code != 0) throw CLI::RuntimeError(code);
  });
}

}  // namespace delrec::cli
