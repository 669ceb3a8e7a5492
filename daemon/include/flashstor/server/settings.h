// Settings: the effective configuration of one daemon run, merged from the optional JSON
// config file and the command line (command line wins, field by field).
#pragma once

#include <string>
#include <vector>

#include "flashstor/config/config.h"
#include "flashstor/server/cli.h"

namespace flashstor::server {

// Merges args over the file named by args.config_file (if any). Errors are one line naming
// the field and the reason.
std::expected<config::Config, std::string> ResolveSettings(const ServerArgs& args);

}  // namespace flashstor::server
