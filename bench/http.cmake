# SPDX-License-Identifier: MIT
# HTTP server benchmark peers (included by bench/CMakeLists.txt); run them all with
# bench/run_http_bench.sh, which also builds `webapp` and compares against nginx, Go and aiohttp.
add_executable(http_reference http_reference.c)
target_compile_options(http_reference PRIVATE -Wall -Wextra)
add_executable(http_idle_clients http_idle_clients.c)
target_compile_options(http_idle_clients PRIVATE -Wall -Wextra)
eddy_bench(beast_server SOURCES beast_server.cpp)
target_include_directories(beast_server SYSTEM PRIVATE ${EDDY_ASIO_INCLUDE})
set_target_properties(http_reference http_idle_clients PROPERTIES RUNTIME_OUTPUT_DIRECTORY
                                                                  ${CMAKE_CURRENT_BINARY_DIR})
add_custom_target(http_bench DEPENDS http_reference http_idle_clients beast_server)
