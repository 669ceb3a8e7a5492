// `flashstor admin kms`: the SSE-KMS key store of a running server (create, list, status,
// rotate, disable, enable keys) through its root-only admin API, JSON answers printed as
// they come. Signed with the root credentials from the environment.
#pragma once

#include <string>
#include <vector>

namespace flashstor::server {

// args: [--endpoint http://HOST:PORT] SUBCOMMAND [NAME]. Returns the exit code (0 when the
// server answered 200, 1 otherwise, 2 on usage).
int RunAdminKms(const std::vector<std::string>& args);

const char* AdminKmsHelp();

}  // namespace flashstor::server
