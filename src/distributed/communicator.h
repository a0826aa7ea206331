#pragma once
// The processes of a data-parallel run and the few collectives training needs between them. One
// process (the default, and every run not started by mpirun) is a communicator of size 1 whose
// collectives do nothing; `mpirun -n K bertft train|pretrain` gives the MPI one (mpi_communicator.cpp,
// built when CMake finds MPI). Training code sees only this interface, so another transport (a GPU
// collective library) is one more implementation.
//
// Every collective must be entered by every rank, in the same order; a rank that fails alone must
// not leave the others waiting: see run_on_all_ranks and abort_run.
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "common/error.h"

namespace bertft {

// An error every rank raised at the same point (all of them agree the run cannot go on): rank 0
// reports it, every rank exits with status 1 through a normal shutdown.
struct CollectiveError : Error {
  CollectiveError(const std::string& message, bool report) : Error(message), report_here(report) {}
  bool report_here;  // print the message on this rank (rank 0 only, so it appears once)
};

class Communicator {
 public:
  // A collective started in the background (start_all_reduce_sum); the buffer must stay untouched
  // until done() has returned true.
  class Pending {
   public:
    virtual ~Pending() = default;
    virtual bool done() = 0;  // makes progress; true once the result is in the buffer
  };

  virtual ~Communicator() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  bool is_root() const { return rank() == 0; }
  // "single process" or the MPI library, e.g. "Open MPI v4.1.4".
  virtual std::string name() const = 0;

  // In place: every rank's data becomes the element-wise sum over ranks (identical on every rank).
  virtual void all_reduce_sum(std::span<float> data) const = 0;
  virtual void all_reduce_sum(std::span<double> data) const = 0;
  virtual std::unique_ptr<Pending> start_all_reduce_sum(std::span<float> data) const = 0;
  // In place: the element-wise maximum over ranks.
  virtual void all_reduce_max(std::span<uint64_t> data) const = 0;
  // Every rank's `data`, concatenated in rank order (ranks may give different lengths).
  virtual std::vector<int32_t> all_gather(std::span<const int32_t> data) const = 0;
  // In place: rank `root`'s bytes on every rank (same size everywhere).
  virtual void broadcast(std::span<std::byte> data, int root) const = 0;
  // Ends every rank of the run now (a rank failed alone: the others may be waiting in a collective).
  [[noreturn]] virtual void abort(int status) const = 0;
};

// This process's communicator: MPI's world when mpirun (or another MPI launcher) started the
// process and bertft was built with MPI; else a single process. Throws Error when a launcher
// started several processes but bertft was built without MPI.
const Communicator& world_communicator();

// The MPI library bertft was built with ("Open MPI v4.1.4"), or "" when it was built without.
std::string mpi_library_version();

// The default thread count of a training process: the CPUs it may run on (a launcher that binds
// ranks to cores restricts them), shared evenly among the ranks of this machine when they were
// started unbound (each may then run on every CPU, and as many threads in each would oversubscribe).
int default_threads();

// If world_communicator() runs several processes, ends them all (after main has reported a failure
// that only this rank may have seen); otherwise returns.
void abort_run_if_distributed(int status);

// Runs `setup` on every rank. If it throws Error on any rank, every rank throws CollectiveError
// with the lowest failing rank's message, so all ranks stop together instead of some waiting in a
// collective for a rank that has quit. Only Error is caught: anything else is a bug, and main()
// ends the whole run.
void run_on_all_ranks(const Communicator& comm, const std::function<void()>& setup);

// Throws CollectiveError on every rank unless every rank passes the same `value`: "ranks disagree
// on <what>". For the quantities that must match or the ranks would leave the lockstep of
// collectives (data sizes, step counts, options).
void require_same(const Communicator& comm, uint64_t value, const std::string& what);

// Rank 0's value, floats or text on every rank.
template <typename T>
T broadcast_value(const Communicator& comm, T value) {
  static_assert(std::is_trivially_copyable_v<T>);
  comm.broadcast(std::as_writable_bytes(std::span(&value, 1)), 0);
  return value;
}
void broadcast_floats(const Communicator& comm, std::span<float> data);
void broadcast_string(const Communicator& comm, std::string& text);

// A 64-bit fingerprint of raw bytes (FNV-1a over 8-byte words), chained through `hash`, for
// require_same.
uint64_t fingerprint(const void* data, size_t bytes, uint64_t hash = 1469598103934665603ull);

// Which of `count` items (contiguous, in order) rank `rank` of `ranks` takes: [begin, end). Shares
// differ by at most one item; a rank gets none when count < ranks.
struct Shard {
  int64_t begin, end;
  int64_t size() const { return end - begin; }
};
Shard shard_of(int64_t count, int rank, int ranks);

}  // namespace bertft
