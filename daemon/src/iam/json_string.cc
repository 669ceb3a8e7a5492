// JsonString: a string member of a cJSON object (json_string.h).
#include "json_string.h"

namespace flashstor::iam {

std::string JsonString(const cJSON* obj, const char* name) {
  const cJSON* v = cJSON_GetObjectItemCaseSensitive(obj, name);
  return cJSON_IsString(v) ? std::string(v->valuestring) : std::string();
}

}  // namespace flashstor::iam
