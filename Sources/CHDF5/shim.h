// HDF5's native type ids and file flags are macros that call H5open(); Swift needs
// them as functions.
#pragma once
#include <hdf5.h>

static inline hid_t swiftlet_h5t_native_float(void) { return H5T_NATIVE_FLOAT; }
static inline hid_t swiftlet_h5t_native_double(void) { return H5T_NATIVE_DOUBLE; }
static inline hid_t swiftlet_h5t_native_int64(void) { return H5T_NATIVE_INT64; }
static inline hid_t swiftlet_h5t_native_uint32(void) { return H5T_NATIVE_UINT32; }
static inline hid_t swiftlet_h5t_c_s1(void) { return H5T_C_S1; }
static inline hid_t swiftlet_h5p_file_access(void) { return H5P_FILE_ACCESS; }
static inline hid_t swiftlet_h5p_dataset_create(void) { return H5P_DATASET_CREATE; }
static inline hid_t swiftlet_h5p_dataset_xfer(void) { return H5P_DATASET_XFER; }
static inline unsigned swiftlet_h5f_acc_trunc(void) { return H5F_ACC_TRUNC; }
static inline unsigned swiftlet_h5f_acc_excl(void) { return H5F_ACC_EXCL; }
static inline unsigned swiftlet_h5f_acc_rdonly(void) { return H5F_ACC_RDONLY; }
static inline unsigned swiftlet_h5f_acc_rdwr(void) { return H5F_ACC_RDWR; }
static inline hsize_t swiftlet_h5s_unlimited(void) { return H5S_UNLIMITED; }
