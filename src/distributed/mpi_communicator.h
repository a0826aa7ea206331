#pragma once
// The MPI implementation of Communicator, compiled only when CMake finds MPI (BERTFT_WITH_MPI).
#include <memory>
#include <string>

#include "distributed/communicator.h"

namespace bertft {

// MPI_COMM_WORLD: initialises MPI (MPI_Finalize when the communicator is destroyed). Throws Error if
// the library cannot serve calls from the gradient reducer's thread (MPI_THREAD_SERIALIZED).
std::unique_ptr<Communicator> make_mpi_world_communicator();

// The library's name and version, e.g. "Open MPI v4.1.4" (callable before initialisation).
std::string mpi_library_name();

}  // namespace bertft
