# SPDX-License-Identifier: MIT
# Bridge round-trip benchmarks (included by bench/CMakeLists.txt): eddy and the Boost.Asio
# twin; bench/run_bridge_bench.sh adds asyncio/uvloop (bridge_asyncio.py) and prints the table.
eddy_bench(bridge_bench SOURCES bridge_bench.cpp LIBS eddy::bridge benchmark::benchmark)
eddy_bench(asio_bridge_bench SOURCES asio_bridge_bench.cpp LIBS benchmark::benchmark)
target_include_directories(asio_bridge_bench SYSTEM PRIVATE ${EDDY_ASIO_INCLUDE})
add_custom_target(bridge_benches DEPENDS bridge_bench asio_bridge_bench)
