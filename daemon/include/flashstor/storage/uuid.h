// Random (version 4) UUIDs for deployment and drive ids, data directories and upload ids.
#pragma once

#include <string>
#include <string_view>

namespace flashstor::storage {

// "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx", lowercase, from getrandom(2).
std::string NewUuid();

// True when s has the shape NewUuid produces (any version nibble).
bool IsUuid(std::string_view s);

}  // namespace flashstor::storage
