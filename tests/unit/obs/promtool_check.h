// Test helper: runs `promtool check metrics` on an exposition text. Any problem, including
// promtool being absent (CI installs the prometheus package), yields a non-empty description.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

// Returns "" when promtool accepts text with no findings, else its status and output.
inline std::string PromtoolProblems(const std::string& text) {
  char path[] = "/tmp/flashstor-metrics-XXXXXX";
  const int fd = mkstemp(path);
  if (fd < 0) return "mkstemp failed";
  const bool wrote = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  close(fd);
  if (!wrote) return "write failed";
  const std::string cmd = std::string("promtool check metrics < ") + path + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return "popen failed";
  std::string output;
  char buf[512];
  while (size_t n = fread(buf, 1, sizeof(buf), p)) output.append(buf, n);
  const int status = pclose(p);
  unlink(path);
  // Lint findings are printed even when the exit code is 0, so both must be clean.
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && output.empty()) return "";
  return "promtool exit " + std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1) + ": " +
         output + "\n--- input:\n" + text;
}
