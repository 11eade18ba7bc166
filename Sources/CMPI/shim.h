// Open MPI's handles are macros that take the address of global objects, which Swift
// cannot import. These inline functions hand them to Swift as ordinary values.
#pragma once
#include <mpi.h>

static inline MPI_Comm swiftlet_mpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Datatype swiftlet_mpi_float(void) { return MPI_FLOAT; }
static inline MPI_Datatype swiftlet_mpi_double(void) { return MPI_DOUBLE; }
static inline MPI_Datatype swiftlet_mpi_int64(void) { return MPI_INT64_T; }
static inline MPI_Datatype swiftlet_mpi_byte(void) { return MPI_BYTE; }
static inline MPI_Op swiftlet_mpi_sum(void) { return MPI_SUM; }
static inline MPI_Op swiftlet_mpi_max(void) { return MPI_MAX; }
static inline MPI_Op swiftlet_mpi_min(void) { return MPI_MIN; }
static inline void *swiftlet_mpi_in_place(void) { return MPI_IN_PLACE; }
static inline MPI_Request swiftlet_mpi_request_null(void) { return MPI_REQUEST_NULL; }
static inline MPI_Status *swiftlet_mpi_status_ignore(void) { return MPI_STATUS_IGNORE; }
static inline MPI_Errhandler swiftlet_mpi_errors_return(void) { return MPI_ERRORS_RETURN; }
static inline int swiftlet_mpi_comm_type_shared(void) { return MPI_COMM_TYPE_SHARED; }
static inline MPI_Info swiftlet_mpi_info_null(void) { return MPI_INFO_NULL; }
