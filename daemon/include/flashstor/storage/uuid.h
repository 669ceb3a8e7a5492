// Random (version 4) UUIDs for deployment and drive ids, data directories and upload ids;
// unique names for temporary files; random bytes.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace flashstor::storage {

// Fills out from getrandom(2) (the kernel's CSPRNG).
void FillRandom(std::span<uint8_t> out);

// "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx", lowercase, from getrandom(2).
std::string NewUuid();

// A name no other call of this process, nor of an earlier or later one, returns: a random
// prefix drawn once per process and a counter. For temporary files, which need uniqueness,
// not unpredictability: no system call per name.
std::string NewTempName();

// True when s has the shape NewUuid produces (any version nibble).
bool IsUuid(std::string_view s);

}  // namespace flashstor::storage
