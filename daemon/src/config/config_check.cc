// RunConfigCheck: the `flashstor config check FILE` command (stdout "ok", or the error).
#include "flashstor/config/config_check.h"

#include <cstdio>

#include "flashstor/config/config.h"

namespace flashstor::config {

int RunConfigCheck(const char* path) {
  if (path == nullptr || path[0] == '\0') {
    std::fprintf(stderr, "usage: flashstor config check FILE\n");
    return 2;
  }
  const ConfigResult result = LoadConfig(path);
  if (!result) {
    std::fprintf(stderr, "%s: %s\n", path, result.error().ToString().c_str());
    return 1;
  }
  std::printf("ok\n");
  return 0;
}

}  // namespace flashstor::config
