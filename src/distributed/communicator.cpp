#include "distributed/communicator.h"

#include <omp.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#ifdef BERTFT_WITH_MPI
#include "distributed/mpi_communicator.h"
#endif

namespace bertft {

namespace {

class SingleProcess final : public Communicator {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  std::string name() const override { return "single process"; }
  void all_reduce_sum(std::span<float>) const override {}
  void all_reduce_sum(std::span<double>) const override {}
  std::unique_ptr<Pending> start_all_reduce_sum(std::span<float>) const override {
    struct Done final : Pending {
      bool done() override { return true; }
    };
    return std::make_unique<Done>();
  }
  void all_reduce_max(std::span<uint64_t>) const override {}
  std::vector<int32_t> all_gather(std::span<const int32_t> data) const override {
    return {data.begin(), data.end()};
  }
  void broadcast(std::span<std::byte>, int) const override {}
  [[noreturn]] void abort(int status) const override { std::exit(status); }
};

// Processes an MPI launcher says it started (Open MPI's mpirun, or a PMI launcher such as MPICH's
// Hydra or Slurm's srun), 0 when none did.
int launched_processes() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE"})
    if (const char* value = std::getenv(name)) return std::atoi(value);
  return 0;
}

#ifndef BERTFT_WITH_MPI
int launched_rank() {
  for (const char* name : {"OMPI_COMM_WORLD_RANK", "PMI_RANK"})
    if (const char* value = std::getenv(name)) return std::atoi(value);
  return 0;
}
#endif

const Communicator* g_world = nullptr;

}  // namespace

const Communicator& world_communicator() {
  static const std::unique_ptr<Communicator> world = []() -> std::unique_ptr<Communicator> {
    const int launched = launched_processes();
#ifdef BERTFT_WITH_MPI
    if (launched > 0 || std::getenv("PMIX_RANK")) return make_mpi_world_communicator();
#else
    // Every process fails the same way; the launcher's rank 0 says so once.
    if (launched > 1)
      throw CollectiveError("started as one of " + std::to_string(launched) +
                                " processes, but this bertft was built without MPI: install libopenmpi-dev "
                                "(scripts/install-deps.sh) and rebuild for data-parallel training (docs/distributed.md)",
                            launched_rank() == 0);
#endif
    return std::make_unique<SingleProcess>();
  }();
  g_world = world.get();
  return *world;
}

std::string mpi_library_version() {
#ifdef BERTFT_WITH_MPI
  return mpi_library_name();
#else
  return "";
#endif
}

int default_threads() {
  const int usable = omp_get_num_procs();
  int local_ranks = 1;
  for (const char* name : {"OMPI_COMM_WORLD_LOCAL_SIZE", "MPI_LOCALNRANKS"})
    if (const char* value = std::getenv(name)) local_ranks = std::max(1, std::atoi(value));
  const bool unbound = usable == static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
  return unbound ? std::max(1, usable / local_ranks) : usable;
}

void abort_run_if_distributed(int status) {
  if (g_world && g_world->size() > 1) g_world->abort(status);
}

namespace {

void broadcast_string_from(const Communicator& comm, std::string& text, int root) {
  uint64_t length = text.size();
  comm.broadcast(std::as_writable_bytes(std::span(&length, 1)), root);
  text.resize(length);
  comm.broadcast(std::as_writable_bytes(std::span(text.data(), text.size())), root);
}

}  // namespace

void run_on_all_ranks(const Communicator& comm, const std::function<void()>& setup) {
  if (comm.size() == 1) return setup();
  std::string message;
  try {
    setup();
  } catch (const CollectiveError&) {
    throw;  // raised by a collective check inside setup: every rank already agrees
  } catch (const Error& e) {
    message = e.what();
  }
  // The lowest failing rank r, as size - r through a maximum (0: none failed).
  uint64_t failing = message.empty() ? 0 : static_cast<uint64_t>(comm.size() - comm.rank());
  comm.all_reduce_max(std::span(&failing, 1));
  if (failing == 0) return;
  const int root = comm.size() - static_cast<int>(failing);
  broadcast_string_from(comm, message, root);
  throw CollectiveError(root == 0 ? message : "rank " + std::to_string(root) + ": " + message, comm.is_root());
}

void require_same(const Communicator& comm, uint64_t value, const std::string& what) {
  uint64_t both[2] = {value, ~value};  // max(~v) = ~min(v): one reduction gives the maximum and the minimum
  comm.all_reduce_max(both);
  if (both[0] != value || both[1] != ~value)
    throw CollectiveError("ranks disagree on " + what, comm.is_root());
}

void broadcast_floats(const Communicator& comm, std::span<float> data) { comm.broadcast(std::as_writable_bytes(data), 0); }

void broadcast_string(const Communicator& comm, std::string& text) { broadcast_string_from(comm, text, 0); }

uint64_t fingerprint(const void* data, size_t bytes, uint64_t hash) {
  // FNV-1a's step over 8-byte words, then the tail bytes: fast enough for every parameter of a model.
  const auto* p = static_cast<const unsigned char*>(data);
  size_t i = 0;
  for (; i + 8 <= bytes; i += 8) {
    uint64_t word;
    std::memcpy(&word, p + i, 8);
    hash = (hash ^ word) * 1099511628211ull;
  }
  for (; i < bytes; i++) hash = (hash ^ p[i]) * 1099511628211ull;
  return hash;
}

Shard shard_of(int64_t count, int rank, int ranks) {
  return {count * rank / ranks, count * (rank + 1) / ranks};
}

}  // namespace bertft
