// The daemon's version string, set by CMake from project(VERSION).
#pragma once

namespace flashstor::server {

#ifndef FLASHSTOR_VERSION
#define FLASHSTOR_VERSION "0.0.0-dev"
#endif
inline constexpr const char* kVersion = FLASHSTOR_VERSION;

}  // namespace flashstor::server
