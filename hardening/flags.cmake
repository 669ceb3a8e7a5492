# Hardened compiler and linker flags applied to every Flashstor target (issue: build hardening).
# FORTIFY needs optimisation, so every build type gets at least -O2 unless sanitizers are on.
include_guard(GLOBAL)

option(FLASHSTOR_SANITIZE "Build with AddressSanitizer and UndefinedBehaviorSanitizer" OFF)
option(FLASHSTOR_FUZZ "Build libFuzzer targets (requires clang)" OFF)

set(FLASHSTOR_WARNINGS -Wall -Wextra -Werror -Wno-unused-parameter -Wshadow=local
    -Wformat=2 -Wformat-security -Wnull-dereference -Wvla)

set(FLASHSTOR_HARDEN_COMPILE -fstack-protector-strong -fcf-protection=full -fPIE
    -fstack-clash-protection -D_GLIBCXX_ASSERTIONS)
set(FLASHSTOR_HARDEN_LINK -pie -Wl,-z,relro,-z,now -Wl,-z,noexecstack -Wl,--as-needed)

if(FLASHSTOR_SANITIZE OR FLASHSTOR_FUZZ)
  list(APPEND FLASHSTOR_HARDEN_COMPILE -O1 -g -fno-omit-frame-pointer)
else()
  list(APPEND FLASHSTOR_HARDEN_COMPILE -O2 -U_FORTIFY_SOURCE -D_FORTIFY_SOURCE=3)
endif()
if(FLASHSTOR_SANITIZE)
  list(APPEND FLASHSTOR_HARDEN_COMPILE -fsanitize=address,undefined -fno-sanitize-recover=undefined)
  list(APPEND FLASHSTOR_HARDEN_LINK -fsanitize=address,undefined)
endif()

add_compile_options(${FLASHSTOR_WARNINGS} ${FLASHSTOR_HARDEN_COMPILE})
add_link_options(${FLASHSTOR_HARDEN_LINK})
set(CMAKE_POSITION_INDEPENDENT_CODE ON)
