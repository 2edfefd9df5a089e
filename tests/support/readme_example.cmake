# cmake -P script: extracts the first ```cpp block of README, compiles it against the library
# and runs it. Arguments: README, WORK (a scratch directory), CXX, INCLUDE, LIBRARY.
file(READ ${README} text)
string(REGEX MATCH "```cpp\n(.*)" after "${text}")
string(FIND "${CMAKE_MATCH_1}" "```" end)
string(SUBSTRING "${CMAKE_MATCH_1}" 0 ${end} example)
file(MAKE_DIRECTORY ${WORK})
file(WRITE ${WORK}/readme.cpp "${example}")
execute_process(COMMAND ${CXX} -std=c++20 -Wall -Wextra -Werror -I${INCLUDE} ${WORK}/readme.cpp
                        ${LIBRARY} -pthread -o ${WORK}/readme
                RESULT_VARIABLE compiled)
if(NOT compiled EQUAL 0)
  message(FATAL_ERROR "the README example does not compile")
endif()
execute_process(COMMAND ${WORK}/readme RESULT_VARIABLE ran TIMEOUT 30)
if(NOT ran EQUAL 0)
  message(FATAL_ERROR "the README example failed: ${ran}")
endif()
