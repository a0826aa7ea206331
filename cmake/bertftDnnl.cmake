# oneDNN as the imported target bertft::dnnl, for bertft's build and for projects using the installed
# package. Debian's dnnl-config.cmake insists on OpenCL headers we do not use; the library alone is enough.
if(NOT TARGET bertft::dnnl)
  find_library(DNNL_LIBRARY dnnl REQUIRED)
  find_path(DNNL_INCLUDE_DIR dnnl.h REQUIRED)
  add_library(bertft::dnnl UNKNOWN IMPORTED)
  set_target_properties(bertft::dnnl PROPERTIES IMPORTED_LOCATION "${DNNL_LIBRARY}"
                                                INTERFACE_INCLUDE_DIRECTORIES "${DNNL_INCLUDE_DIR}")
endif()
