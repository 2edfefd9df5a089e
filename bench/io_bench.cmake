# W1 line readers and the W3 small writer over makefile() (issue 6 targets); the line reader
# also reads W6 over TLS (--tls, issue 16).
pysock_add_bench(pysock-line-reader line_reader.cpp)
target_link_libraries(pysock-line-reader PRIVATE pysock::ssl)
pysock_add_bench(pysock-small-writer small_writer.cpp)

if(PYSOCK_TEST)
  find_package(Python3 3.11 COMPONENTS Interpreter)
  if(Python3_Interpreter_FOUND)
    # Smoke runs with tiny sizes that check the answers (the checksum, the byte count).
    foreach(api readline readline_view text-utf8 getline)
      add_test(NAME bench.smoke.line_reader.${api}
        COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_LIST_DIR}/smoke.py reader
                $<TARGET_FILE:pysock-line-reader> --api ${api})
    endforeach()
    foreach(api readline readline_view text-utf8)
      add_test(NAME bench.smoke.line_reader.tls.${api}
        COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_LIST_DIR}/smoke.py tls-reader
                ${PYSOCK_BENCH_CERTS} $<TARGET_FILE:pysock-line-reader> --api ${api})
      set_tests_properties(bench.smoke.line_reader.tls.${api} PROPERTIES
        FIXTURES_REQUIRED bench_tls_certificates TIMEOUT 60)
    endforeach()
    add_test(NAME bench.smoke.line_reader.buffering_16
      COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_LIST_DIR}/smoke.py reader
              $<TARGET_FILE:pysock-line-reader> --api readline --buffering 16)
    add_test(NAME bench.smoke.small_writer
      COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_LIST_DIR}/smoke.py writer
              $<TARGET_FILE:pysock-small-writer>)
  endif()
endif()

# Cost growth: readline() of one long line against short lines, readline(limit) memory.
find_package(Threads REQUIRED)
pysock_add_bench(pysock-line-growth line_growth.cpp)
target_include_directories(pysock-line-growth PRIVATE ${PROJECT_SOURCE_DIR}/tests)
target_link_libraries(pysock-line-growth PRIVATE Threads::Threads)
if(PYSOCK_TEST)
  add_test(NAME bench.pysock-line-growth.smoke
           COMMAND pysock-line-growth --total-mib 2 --lines-kib 64,2048 --limits-kib 64,512
                   --endless-mib 4 --repeats 1)
  set_tests_properties(bench.pysock-line-growth.smoke PROPERTIES TIMEOUT 60)
endif()
