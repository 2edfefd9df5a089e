# The exhaustive codec check (tests/codecs/exhaustive.cpp, issue 14): one CTest entry per codec,
# codecs.exhaustive.NAME, against the CPython 3.13 answers committed in tests/codecs/answers/
# (scripts/codec_tables/answers.py writes them). Where CPython 3.13 is installed a failure also
# names the first differing input; CI checks the committed answers alone.
#
# Answers exist for every CJK codec CPython has; those pysock implements are checked.

add_executable(codec_exhaustive ${CMAKE_CURRENT_LIST_DIR}/codecs/exhaustive.cpp)
target_link_libraries(codec_exhaustive PRIVATE ${PYSOCK_TESTED_LIBRARY})
pysock_warnings(codec_exhaustive)

# Every codec pysock implements, by module name: the codec table of src/io/codec/registry.cpp is
# the one list (editing it reconfigures).
set(PYSOCK_CODEC_REGISTRY ${PROJECT_SOURCE_DIR}/src/io/codec/registry.cpp)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${PYSOCK_CODEC_REGISTRY})
file(STRINGS ${PYSOCK_CODEC_REGISTRY} PYSOCK_CODEC_ENTRIES REGEX "codec_kind::[a-z0-9_]+},")
set(PYSOCK_EXHAUSTIVE_CODECS)
foreach(entry ${PYSOCK_CODEC_ENTRIES})
  if(entry MATCHES "{\"([a-z0-9_]+)\", \"[^\"]*\", codec_kind::([a-z0-9_]+)}")
    set(module ${CMAKE_MATCH_1})
    if(NOT CMAKE_MATCH_2 MATCHES "^(not_text|unsupported)$")
      list(APPEND PYSOCK_EXHAUSTIVE_CODECS ${module})
    endif()
  endif()
endforeach()
if(NOT PYSOCK_EXHAUSTIVE_CODECS)
  message(FATAL_ERROR "no codec found in ${PYSOCK_CODEC_REGISTRY}'s codec table")
endif()

# One codec of each kind of code (hand-written, UTF-16/32, single-byte with duplicates and with
# undefined bytes, stateless CJK with three- and four-byte forms, the iso2022 state machine) runs
# in every build; the rest (label codecs-bulk, about 8 s of CPU each in a release build) is left
# out under the sanitizers, where it would take most of CI's time and test no other code, and in
# CI's fresh Debian 12 root, which repeats the release stage's suite to prove the README's command.
set(PYSOCK_EXHAUSTIVE_SAMPLE utf_8 utf_16 cp1252 mac_arabic cp424 euc_jp gb18030 iso2022_jp_2)

foreach(codec ${PYSOCK_EXHAUSTIVE_CODECS})
  add_test(NAME codecs.exhaustive.${codec}
           COMMAND codec_exhaustive ${PROJECT_SOURCE_DIR} ${codec})
  set(labels codecs)
  if(NOT codec IN_LIST PYSOCK_EXHAUSTIVE_SAMPLE)
    list(APPEND labels codecs-bulk)
  endif()
  set_tests_properties(codecs.exhaustive.${codec} PROPERTIES TIMEOUT 900 LABELS "${labels}")
endforeach()
