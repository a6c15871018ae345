# SPDX-License-Identifier: MIT
# Bridge round-trip benchmarks (included by bench/CMakeLists.txt); compare with
# `python3 bench/bridge_asyncio.py`.
eddy_bench(bridge_bench SOURCES bridge_bench.cpp LIBS eddy::bridge benchmark::benchmark)
