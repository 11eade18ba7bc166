// HDF5's native type ids and file flags are macros that call H5open(); Swift needs
// them as functions.
#pragma once
#include <hdf5.h>

static inline hid_t swiftlet_h5t_native_float(void) { return H5T_NATIVE_FLOAT; }
static inline hid_t swiftlet_h5t_native_double(void) { return H5T_NATIVE_DOUBLE; }
static inline hid_t swiftlet_h5t_native_int64(void) { return H5T_NATIVE_INT64; }
static inline hid_t swiftlet_h5t_c_s1(void) { return H5T_C_S1; }
static inline hid_t swiftlet_h5p_file_access(void) { return H5P_FILE_ACCESS; }
static inline hid_t swiftlet_h5p_file_create(void) { return H5P_FILE_CREATE; }
static inline hid_t swiftlet_h5p_dataset_create(void) { return H5P_DATASET_CREATE; }
static inline unsigned swiftlet_h5f_acc_trunc(void) { return H5F_ACC_TRUNC; }
static inline unsigned swiftlet_h5f_acc_rdonly(void) { return H5F_ACC_RDONLY; }
static inline unsigned swiftlet_h5f_acc_rdwr(void) { return H5F_ACC_RDWR; }

// More type ids, property-list classes and sizes used by HDF5Bindings.
static inline hid_t swiftlet_h5t_native_uint8(void) { return H5T_NATIVE_UINT8; }
static inline hid_t swiftlet_h5t_native_int32(void) { return H5T_NATIVE_INT32; }
static inline hid_t swiftlet_h5t_ieee_f32le(void) { return H5T_IEEE_F32LE; }
static inline hid_t swiftlet_h5t_ieee_f64le(void) { return H5T_IEEE_F64LE; }
static inline hid_t swiftlet_h5t_std_i64le(void) { return H5T_STD_I64LE; }
static inline hid_t swiftlet_h5t_std_i32le(void) { return H5T_STD_I32LE; }
static inline hid_t swiftlet_h5t_std_u8le(void) { return H5T_STD_U8LE; }
static inline hid_t swiftlet_h5p_link_create(void) { return H5P_LINK_CREATE; }
static inline size_t swiftlet_h5t_variable(void) { return H5T_VARIABLE; }

static inline H5F_libver_t swiftlet_h5f_libver_latest(void) { return H5F_LIBVER_LATEST; }

// Thread-safe HDF5 builds (Debian's is one) keep the error stack, and with it the automatic
// error printing, per thread: silence it once on every thread that calls HDF5.
static inline void swiftlet_h5e_silence_this_thread(void) {
  static __thread int silenced = 0;
  if (!silenced) {
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    silenced = 1;
  }
}
