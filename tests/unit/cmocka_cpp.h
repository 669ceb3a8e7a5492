// cmocka for C++ tests: its 1.1 header lacks extern "C" and defines a fail() macro that clashes
// with the C++ library, so every unit test includes this header after all others.
#pragma once

// clang-format off
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
extern "C" {
#include <cmocka.h>
}
// clang-format on
