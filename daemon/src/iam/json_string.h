// JsonString: a string member of a cJSON object, the one field read the IAM records, session
// tokens and JWT claims all share. Internal to flashstor_iam.
#pragma once

#include <cjson/cJSON.h>

#include <string>

namespace flashstor::iam {

// The string member `name` of obj; empty when it is absent or not a string.
std::string JsonString(const cJSON* obj, const char* name);

}  // namespace flashstor::iam
