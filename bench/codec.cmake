# Text decoding throughput per encoding (Google Benchmark), in MB/s.
find_package(benchmark REQUIRED)
pysock_add_bench(codec_bench codec_bench.cpp)
target_link_libraries(codec_bench PRIVATE benchmark::benchmark)
if(PYSOCK_TEST)
  add_test(NAME bench.codec_bench.smoke COMMAND codec_bench --benchmark_min_time=0.001)
  set_tests_properties(bench.codec_bench.smoke PROPERTIES TIMEOUT 120)
endif()
