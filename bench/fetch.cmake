# SPDX-License-Identifier: MIT
# HTTP client benchmark peers (included by bench/CMakeLists.txt; run bench/run_fetch_bench.sh):
# the eddy client program and a libcurl multi-interface program. The aiohttp peer is
# bench/fetch_aiohttp.py; `eddy fetch` itself (target eddy_cli) is measured too.
eddy_bench(fetch_bench SOURCES fetch_bench.cpp LIBS eddy::http)
find_package(PkgConfig QUIET)
if(PKG_CONFIG_FOUND)
  pkg_check_modules(EDDY_BENCH_CURL IMPORTED_TARGET libcurl)
endif()
eddy_require(EDDY_BENCH_CURL_FOUND libcurl4-openssl-dev "libcurl (the curl-multi peer of the fetch benchmark)")
add_executable(fetch_curl_multi fetch_curl_multi.c)
target_link_libraries(fetch_curl_multi PRIVATE PkgConfig::EDDY_BENCH_CURL)
target_compile_options(fetch_curl_multi PRIVATE -O2 -Wall -Wextra)
set_target_properties(fetch_curl_multi PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
add_custom_target(fetch_bench_peers DEPENDS fetch_bench fetch_curl_multi eddy_cli)
