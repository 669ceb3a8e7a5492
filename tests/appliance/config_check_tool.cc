// Stand-in for `flashstor config check FILE` in appliance tests until the daemon's main.cc
// wires RunConfigCheck; same arguments, same output, same exit codes.
#include <cstdio>
#include <cstring>

#include "flashstor/config/config_check.h"

int main(int argc, char** argv) {
  if (argc != 4 || std::strcmp(argv[1], "config") != 0 || std::strcmp(argv[2], "check") != 0) {
    std::fprintf(stderr, "usage: %s config check FILE\n", argv[0]);
    return 2;
  }
  return flashstor::config::RunConfigCheck(argv[3]);
}
