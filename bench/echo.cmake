# SPDX-License-Identifier: MIT
# Echo server benchmark (included by bench/CMakeLists.txt; run bench/run_echo_bench.sh): the
# load client, the C epoll reference server and the Boost.Asio coroutine server. The eddy
# servers are `eddy echo` (target eddy_cli); the uvloop ones are bench/echo_uvloop.py.
eddy_bench(echo_load SOURCES echo_load.cpp)
add_executable(echo_reference echo_reference.c)
target_compile_options(echo_reference PRIVATE -O2 -Wall -Wextra)
set_target_properties(echo_reference PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
eddy_bench(asio_echo SOURCES asio_echo.cpp)
target_include_directories(asio_echo SYSTEM PRIVATE ${EDDY_ASIO_INCLUDE})
add_custom_target(echo_bench DEPENDS echo_load echo_reference asio_echo)
