// flashstor: entry point. Wiring only: parse the command line, dispatch to a subcommand.
#include <algorithm>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "flashstor/config/config_check.h"
#include "flashstor/mem/heap_policy.h"
#include "flashstor/server/admin_heal.h"
#include "flashstor/server/admin_kms.h"
#include "flashstor/server/auth_settings.h"
#include "flashstor/server/cli.h"
#include "flashstor/server/server.h"
#include "flashstor/server/version.h"

int main(int argc, char** argv) {
  using flashstor::server::Command;
  std::vector<std::string> args(argv + 1, argv + argc);
  auto parsed = flashstor::server::ParseCommandLine(args);
  if (!parsed) {
    std::fprintf(stderr, "flashstor: %s\n", parsed.error().c_str());
    return 2;
  }
  switch (parsed->command) {
    case Command::kHelp:
      std::fputs(flashstor::server::MainHelp(), stdout);
      return 0;
    case Command::kServerHelp:
      std::fputs(flashstor::server::ServerHelp(), stdout);
      return 0;
    case Command::kVersion:
      std::printf("flashstor %s\n", flashstor::server::kVersion);
      return 0;
    case Command::kConfigCheck:
      return flashstor::config::RunConfigCheck(parsed->config_path.c_str());
    case Command::kAdminHeal:
      return flashstor::server::RunAdminHeal(parsed->heal_targets);
    case Command::kAdminKms:
      return flashstor::server::RunAdminKms(parsed->admin_args);
    case Command::kAdminPrometheusConfig:
      return flashstor::server::RunPrometheusConfig(parsed->admin_args);
    case Command::kServer:
      // Before any thread starts: an arena for each event loop (--event-loops, else the
      // default 2 x cores).
      flashstor::mem::ConfigureServerHeap(
          parsed->server.event_loops > 0
              ? parsed->server.event_loops
              : 2 * static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
      return flashstor::server::RunServer(parsed->server);
  }
  return 2;
}
