# The exhaustive codec check (tests/codecs/exhaustive.cpp, issue 14): one CTest entry per codec,
# codecs.exhaustive.NAME, against the CPython 3.13 answers committed in tests/codecs/answers/
# (scripts/codec_tables/answers.py writes them). Where CPython 3.13 is installed a failure also
# names the first differing input; CI checks the committed answers alone.
#
# Answers exist for every CJK codec CPython has; those pysock implements are checked.

add_executable(codec_exhaustive ${CMAKE_CURRENT_LIST_DIR}/codecs/exhaustive.cpp)
target_link_libraries(codec_exhaustive PRIVATE ${PYSOCK_TESTED_LIBRARY})
pysock_warnings(codec_exhaustive)

set(PYSOCK_EXHAUSTIVE_UNICODE
    ascii latin_1 utf_8 utf_8_sig utf_16 utf_16_le utf_16_be utf_32 utf_32_le utf_32_be)
set(PYSOCK_EXHAUSTIVE_SINGLE_BYTE
    cp037 cp1006 cp1026 cp1125 cp1140 cp1250 cp1251 cp1252 cp1253 cp1254 cp1255 cp1256 cp1257
    cp1258 cp273 cp424 cp437 cp500 cp720 cp737 cp775 cp850 cp852 cp855 cp856 cp857 cp858 cp860
    cp861 cp862 cp863 cp864 cp865 cp866 cp869 cp874 cp875 hp_roman8 iso8859_10 iso8859_11
    iso8859_13 iso8859_14 iso8859_15 iso8859_16 iso8859_2 iso8859_3 iso8859_4 iso8859_5 iso8859_6
    iso8859_7 iso8859_8 iso8859_9 koi8_r koi8_t koi8_u kz1048 mac_arabic mac_croatian mac_cyrillic
    mac_farsi mac_greek mac_iceland mac_latin2 mac_roman mac_romanian mac_turkish palmos ptcp154
    tis_620)
# The CJK codecs pysock implements (tests/codecs/answers/ also has those it does not).
set(PYSOCK_EXHAUSTIVE_MULTIBYTE
    big5 cp932 cp949 cp950 euc_jp euc_kr gb18030 gb2312 gbk hz iso2022_jp iso2022_jp_1
    iso2022_jp_2 iso2022_jp_ext iso2022_kr johab shift_jis)

# One codec of each kind of code (hand-written, UTF-16/32, single-byte with duplicates and with
# undefined bytes, stateless CJK with three- and four-byte forms, the iso2022 state machine) runs
# in every build; the rest (label codecs-bulk, about 8 s of CPU each in a release build) is left
# out under the sanitizers, where it would take most of CI's time and test no other code, and in
# CI's fresh Debian 12 root, which repeats the release stage's suite to prove the README's command.
set(PYSOCK_EXHAUSTIVE_SAMPLE utf_8 utf_16 cp1252 mac_arabic cp424 euc_jp gb18030 iso2022_jp_2)

foreach(codec ${PYSOCK_EXHAUSTIVE_UNICODE} ${PYSOCK_EXHAUSTIVE_SINGLE_BYTE}
        ${PYSOCK_EXHAUSTIVE_MULTIBYTE})
  add_test(NAME codecs.exhaustive.${codec}
           COMMAND codec_exhaustive ${PROJECT_SOURCE_DIR} ${codec})
  set(labels codecs)
  if(NOT codec IN_LIST PYSOCK_EXHAUSTIVE_SAMPLE)
    list(APPEND labels codecs-bulk)
  endif()
  set_tests_properties(codecs.exhaustive.${codec} PROPERTIES TIMEOUT 900 LABELS "${labels}")
endforeach()
