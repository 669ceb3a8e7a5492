// `flashstor config check FILE`: validates a config file for operators and the first-run
// script without starting anything.
#pragma once

namespace flashstor::config {

// Loads path with LoadConfig. Prints "ok" on stdout and returns 0 when valid; otherwise
// prints "<path>: <field>: <reason>" on stderr and returns 1 (2 when path is null/empty).
int RunConfigCheck(const char* path);

}  // namespace flashstor::config
