#include "distributed/mpi_communicator.h"

#include <mpi.h>

#include <algorithm>
#include <climits>
#include <cstdlib>

namespace bertft {

namespace {

// MPI counts are ints: larger buffers go in pieces of at most this many elements.
constexpr size_t kMaxCount = size_t{1} << 30;

template <typename T, typename Call>
void in_pieces(std::span<T> data, Call call) {
  for (size_t at = 0; at < data.size(); at += kMaxCount)
    call(data.data() + at, static_cast<int>(std::min(kMaxCount, data.size() - at)));
}

class MpiWorld final : public Communicator {
 public:
  MpiWorld() {
    int provided = 0;
    MPI_Init_thread(nullptr, nullptr, MPI_THREAD_SERIALIZED, &provided);
    if (provided < MPI_THREAD_SERIALIZED) {
      MPI_Finalize();
      throw Error("the MPI library does not allow calls from a second thread (MPI_THREAD_SERIALIZED), which the "
                  "gradient all-reduce needs");
    }
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
  }
  ~MpiWorld() override { MPI_Finalize(); }

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  std::string name() const override { return mpi_library_name(); }

  void all_reduce_sum(std::span<float> data) const override {
    in_pieces(data, [](float* p, int n) { MPI_Allreduce(MPI_IN_PLACE, p, n, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD); });
  }
  void all_reduce_sum(std::span<double> data) const override {
    in_pieces(data, [](double* p, int n) { MPI_Allreduce(MPI_IN_PLACE, p, n, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD); });
  }

  class PendingSum final : public Pending {
   public:
    explicit PendingSum(std::span<float> data) {
      in_pieces(data, [this](float* p, int n) {
        requests_.emplace_back();
        MPI_Iallreduce(MPI_IN_PLACE, p, n, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD, &requests_.back());
      });
    }
    // Dropped unfinished only when this rank is failing: main() then ends the run with MPI_Abort, and
    // waiting here could hang if another rank never joins the collective.
    bool done() override {
      if (finished_) return true;
      int flag = 0;
      MPI_Testall(static_cast<int>(requests_.size()), requests_.data(), &flag, MPI_STATUSES_IGNORE);
      finished_ = flag != 0;
      return finished_;
    }

   private:
    std::vector<MPI_Request> requests_;
    bool finished_ = false;
  };
  std::unique_ptr<Pending> start_all_reduce_sum(std::span<float> data) const override {
    return std::make_unique<PendingSum>(data);
  }

  void all_reduce_max(std::span<uint64_t> data) const override {
    in_pieces(data,
              [](uint64_t* p, int n) { MPI_Allreduce(MPI_IN_PLACE, p, n, MPI_UINT64_T, MPI_MAX, MPI_COMM_WORLD); });
  }

  std::vector<int32_t> all_gather(std::span<const int32_t> data) const override {
    if (data.size() > INT_MAX) throw Error("all_gather: more than INT_MAX elements from one rank");
    const int count = static_cast<int>(data.size());
    std::vector<int> counts(size_), displs(size_);
    MPI_Allgather(&count, 1, MPI_INT, counts.data(), 1, MPI_INT, MPI_COMM_WORLD);
    int64_t total = 0;
    for (int r = 0; r < size_; r++) {
      if (total > INT_MAX) throw Error("all_gather: more than INT_MAX elements in all");
      displs[r] = static_cast<int>(total);
      total += counts[r];
    }
    std::vector<int32_t> out(total);
    MPI_Allgatherv(data.data(), count, MPI_INT32_T, out.data(), counts.data(), displs.data(), MPI_INT32_T,
                   MPI_COMM_WORLD);
    return out;
  }

  void broadcast(std::span<std::byte> data, int root) const override {
    in_pieces(data, [root](std::byte* p, int n) { MPI_Bcast(p, n, MPI_BYTE, root, MPI_COMM_WORLD); });
  }

  [[noreturn]] void abort(int status) const override {
    MPI_Abort(MPI_COMM_WORLD, status);
    std::abort();  // MPI_Abort does not return; this tells the compiler so
  }

 private:
  int rank_ = 0, size_ = 1;
};

}  // namespace

std::unique_ptr<Communicator> make_mpi_world_communicator() { return std::make_unique<MpiWorld>(); }

std::string mpi_library_name() {
  char text[MPI_MAX_LIBRARY_VERSION_STRING];
  int length = 0;
  MPI_Get_library_version(text, &length);
  std::string name(text, length);
  // "Open MPI v4.1.4, package: Debian OpenMPI, ident: ..." -> "Open MPI v4.1.4"
  name = name.substr(0, name.find_first_of(",\n"));
  while (!name.empty() && name.back() == ' ') name.pop_back();
  return name;
}

}  // namespace bertft
