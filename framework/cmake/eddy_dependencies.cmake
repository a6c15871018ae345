# SPDX-License-Identifier: MIT
# Every dependency comes from a Debian 12 package; a missing one stops configuration with the
# package to install (README: `.ci/install-deps` installs them all).

function(eddy_require found package what)
  if(NOT ${found})
    message(FATAL_ERROR "eddy needs ${what}: install the Debian package '${package}' "
                        "(apt-get install ${package}, or run .ci/install-deps)")
  endif()
endfunction()

set(THREADS_PREFER_PTHREAD_FLAG ON)
find_package(Threads REQUIRED)

find_package(OpenSSL 3 QUIET)
eddy_require(OpenSSL_FOUND libssl-dev "OpenSSL 3")

find_package(simdjson QUIET)
eddy_require(simdjson_FOUND libsimdjson-dev "simdjson")

# zlib decodes gzip/deflate response bodies (http/detail/content_decoder.cpp only).
find_package(ZLIB QUIET)
eddy_require(ZLIB_FOUND zlib1g-dev "zlib")

# llhttp: Debian's node-llhttp ships the generated C sources; we build them as a static target.
find_path(EDDY_LLHTTP_INCLUDE llhttp.h PATHS /usr/share/include/llhttp /usr/include/llhttp
          NO_CACHE)
find_path(EDDY_LLHTTP_SOURCES llhttp.c PATHS /usr/share/llhttp NO_CACHE)
if(EDDY_LLHTTP_INCLUDE AND EDDY_LLHTTP_SOURCES)
  set(EDDY_LLHTTP_FOUND TRUE)
endif()
eddy_require(EDDY_LLHTTP_FOUND node-llhttp "llhttp's C sources")
if(NOT TARGET eddy_llhttp)
  add_library(eddy_llhttp OBJECT ${EDDY_LLHTTP_SOURCES}/llhttp.c ${EDDY_LLHTTP_SOURCES}/api.c
                                 ${EDDY_LLHTTP_SOURCES}/http.c)
  target_include_directories(eddy_llhttp PUBLIC $<BUILD_INTERFACE:${EDDY_LLHTTP_INCLUDE}>)
  set_target_properties(eddy_llhttp PROPERTIES POSITION_INDEPENDENT_CODE ON C_VISIBILITY_PRESET hidden)
  target_compile_options(eddy_llhttp PRIVATE -w)
  # llhttp.c holds two state machines and picks the loose one by default
  # (LLHTTP_STRICT_MODE 0), which skips the two bytes after chunk data without checking that
  # they are CRLF and takes any byte after a CR for the LF: request smuggling material (found
  # by fuzzing chunked bodies). The strict one checks them.
  target_compile_definitions(eddy_llhttp PRIVATE LLHTTP_STRICT_MODE=1)
endif()

if(EDDY_BUILD_TESTS)
  find_package(GTest QUIET)
  eddy_require(GTest_FOUND "libgtest-dev libgmock-dev" "GoogleTest")
endif()
