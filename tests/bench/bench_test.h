// Shared include for the load generator's cmocka tests: cmocka last, after the standard
// headers its macros would otherwise clash with.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

// clang-format off
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
extern "C" {
#include <cmocka.h>
}
// clang-format on
