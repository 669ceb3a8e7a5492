// RunServer: the daemon's start-up sequence and lifetime: configuration, listeners, TLS,
// privilege drop, seccomp, storage engine, S3 handler, event loops, readiness, signals,
// graceful shutdown. Returns the process exit code.
#pragma once

#include "flashstor/server/cli.h"

namespace flashstor::server {

int RunServer(const ServerArgs& args);

}  // namespace flashstor::server
