// `flashstor admin heal`: asks a running server's admin API to heal one object, a bucket or
// every bucket, and prints what it repaired. Signed with the root credentials from the
// environment (FLASHSTOR_ROOT_USER / FLASHSTOR_ROOT_PASSWORD).
#pragma once

#include <string>
#include <vector>

namespace flashstor::server {

// args: [--endpoint http://HOST:PORT] (TARGET... | --all), TARGET = BUCKET or BUCKET/KEY.
// Returns the process exit code (0 when every target healed, 1 otherwise, 2 on usage).
int RunAdminHeal(const std::vector<std::string>& args);

const char* AdminHealHelp();

}  // namespace flashstor::server
