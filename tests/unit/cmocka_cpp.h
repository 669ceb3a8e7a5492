// cmocka for C++ tests. cmocka 1.1's header lacks extern "C", and it defines a fail() macro
// that breaks std::basic_ios::fail(): the stream headers are included first, so this header
// may stand anywhere among a test's includes (clang-format is free to sort them).
#pragma once

// clang-format off
#include <fstream>
#include <iostream>
#include <sstream>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
extern "C" {
#include <cmocka.h>
}
// clang-format on
