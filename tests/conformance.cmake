# Differential conformance test against CPython 3.13 (tests/conformance/, protocol in
# conformance.md). compare.py runs the same scenarios through reference.py (CPython's own
# socketpair + makefile) and through the pysock-conform program, and fails on any difference.
#
#   conformance.cpython                    nasty.jsonl + generated scenarios vs pysock-conform
#   conformance.harness_self_consistent    reference.py against itself: must match exactly
#   conformance.harness_detects_mismatch   reference.py --mutate value: compare.py must notice
#   conformance.harness_detects_crash      reference.py --mutate crash: compare.py must notice
#   conformance.cpython_tls                the same corpus and generated scenarios a second time
#                                          over TLS, plus tls.jsonl (TLS-only scenarios)
#   conformance.harness_self_consistent_tls  reference.py against itself over TLS
#   conformance.emulation_forced_on_313    reference.py --emulate force under 3.13 = plain 3.13
#   conformance.emulation_matches_313      reference.py under Python3_EXECUTABLE (3.11 or 3.12,
#                                          emulating 3.13's four differences) = real 3.13
#   conformance.emulation_is_needed        the same without emulation must differ from 3.13
#
# The reference interpreter is $PYSOCK_PYTHON when set, else CPython 3.13 when installed, else
# python3 (3.11 on Debian 12), which emulates the four known differences (cpython313.py). The
# emulation_* tests need 3.13 and are skipped with the reason where it is missing. A forced
# reference: PYSOCK_PYTHON=/usr/bin/python3 ctest --preset release -R conformance
#
# The TLS tests need the certificates of tests/certs.cmake (fixture tls_certs); cpython_tls
# also needs pysock-conform built with pysock::ssl.
#
# The generated part is re-seeded without reconfiguring through the environment:
#   PYSOCK_CONFORM_SEED=7 PYSOCK_CONFORM_COUNT=20000 ctest --preset release -R conformance.cpython
#
# pysock-conform may be defined by another tests/*.cmake file included after this one (the glob
# order is alphabetical), so the target check is deferred to the end of the project's top-level
# directory, when every target of the build exists.

find_package(Python3 3.11 COMPONENTS Interpreter)
set(PYSOCK_CONFORM_COUNT 2000 CACHE STRING "Generated scenarios in conformance.cpython")
set(PYSOCK_CONFORM_SEED 1 CACHE STRING "Generator seed of conformance.cpython")

function(_pysock_conformance_tests)
  set(dir "${CMAKE_CURRENT_FUNCTION_LIST_DIR}/conformance")
  get_property(python GLOBAL PROPERTY PYSOCK_CONFORM_PYTHON)
  set(compare "${python}" "${dir}/compare.py")
  set(reference "{python} -I {reference}")

  add_test(NAME conformance.harness_self_consistent
    COMMAND ${compare} --impl "${reference}" --corpus "${dir}/nasty.jsonl"
            --generate 500 --seed 7)
  add_test(NAME conformance.harness_detects_mismatch
    COMMAND ${compare} --impl "${reference} --mutate value" --corpus "${dir}/nasty.jsonl"
            --expect-mismatch --max-report 3)
  add_test(NAME conformance.harness_detects_crash
    COMMAND ${compare} --impl "${reference} --mutate crash" --corpus "${dir}/nasty.jsonl"
            --expect-mismatch --max-report 3)
  set_tests_properties(conformance.harness_self_consistent conformance.harness_detects_mismatch
    conformance.harness_detects_crash PROPERTIES TIMEOUT 300 LABELS conformance)

  get_property(cert_dir GLOBAL PROPERTY PYSOCK_TEST_CERT_DIR)
  set(over_tls --tls --tls-dir "${cert_dir}")
  if(cert_dir)
    add_test(NAME conformance.harness_self_consistent_tls
      COMMAND ${compare} --impl "${reference}" --corpus "${dir}/tls.jsonl" "${dir}/nasty.jsonl"
              --generate 300 --seed 7 ${over_tls})
    set_tests_properties(conformance.harness_self_consistent_tls PROPERTIES
      TIMEOUT 300 LABELS "conformance;tls" FIXTURES_REQUIRED tls_certs)
  endif()

  set(scenarios --corpus "${dir}/nasty.jsonl" --generate 2000 --seed 11 --require-313)
  add_test(NAME conformance.emulation_forced_on_313
    COMMAND ${compare} --impl "${reference} --emulate force" ${scenarios})
  get_property(version GLOBAL PROPERTY PYSOCK_CONFORM_PYTHON_VERSION)
  if(version VERSION_LESS 3.13)
    add_test(NAME conformance.emulation_matches_313
      COMMAND ${compare} --impl "${python} -I {reference}" ${scenarios})
    add_test(NAME conformance.emulation_is_needed
      COMMAND ${compare} --impl "${python} -I {reference} --emulate off" ${scenarios}
              --expect-mismatch --max-report 3)
  else()  # nothing older to emulate with: say so in the run's skip list
    foreach(name emulation_matches_313 emulation_is_needed)
      add_test(NAME conformance.${name} COMMAND "${python}" -c
        "print('SKIP: python3 is ${version}, no 3.11 or 3.12 to emulate 3.13 with'); exit(77)")
    endforeach()
  endif()
  set_tests_properties(conformance.emulation_forced_on_313 conformance.emulation_matches_313
    conformance.emulation_is_needed PROPERTIES TIMEOUT 300 LABELS conformance SKIP_RETURN_CODE 77)

  if(NOT TARGET pysock-conform)
    message(STATUS "conformance: no pysock-conform target, conformance.cpython not added")
    return()
  endif()
  add_test(NAME conformance.cpython
    COMMAND ${compare} --impl "$<TARGET_FILE:pysock-conform>" --corpus "${dir}/nasty.jsonl"
            --generate ${PYSOCK_CONFORM_COUNT} --seed ${PYSOCK_CONFORM_SEED})
  set_tests_properties(conformance.cpython PROPERTIES TIMEOUT 600 LABELS conformance)

  if(NOT cert_dir OR NOT TARGET pysock::ssl)
    message(STATUS "conformance: no certificates or no pysock::ssl, conformance.cpython_tls "
                   "not added")
    return()
  endif()
  add_test(NAME conformance.cpython_tls
    COMMAND ${compare} --impl "$<TARGET_FILE:pysock-conform>"
            --corpus "${dir}/nasty.jsonl" "${dir}/tls.jsonl"
            --generate ${PYSOCK_CONFORM_COUNT} --seed ${PYSOCK_CONFORM_SEED} ${over_tls})
  set_tests_properties(conformance.cpython_tls PROPERTIES
    TIMEOUT 600 LABELS "conformance;tls" FIXTURES_REQUIRED tls_certs)
endfunction()

if(NOT Python3_Interpreter_FOUND)
  message(STATUS "conformance: no Python 3.11+ interpreter, CPython differential tests not added")
else()
  # The deferred call runs in the top-level directory's scope, where this one's variables are
  # not visible: hand the interpreter over through a global property.
  set_property(GLOBAL PROPERTY PYSOCK_CONFORM_PYTHON "${Python3_EXECUTABLE}")
  set_property(GLOBAL PROPERTY PYSOCK_CONFORM_PYTHON_VERSION "${Python3_VERSION}")
  cmake_language(DEFER DIRECTORY "${PROJECT_SOURCE_DIR}" CALL _pysock_conformance_tests)
endif()
