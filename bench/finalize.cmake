# W4: weakref.finalize for 1,000,000 objects (and, with --exit, the exit run).
pysock_add_bench(pysock-finalize-bench finalize_bench.cpp)
if(PYSOCK_TEST)
  add_test(NAME bench.pysock-finalize-bench.smoke COMMAND pysock-finalize-bench --count 1000 --exit)
  set_tests_properties(bench.pysock-finalize-bench.smoke PROPERTIES TIMEOUT 60)
endif()
