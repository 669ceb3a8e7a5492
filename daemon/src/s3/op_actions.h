// The AWS action each S3 operation needs (s3:GetObject, s3:ListBucket, ...), keyed by the
// operation name of the route table. Operations whose action is "s3:" + their name need no
// row; new routes get that default.
#pragma once

#include <string>
#include <string_view>

namespace flashstor::s3 {

// op_name as in RouteEntry::name; version_id: the request names a version (?versionId=),
// which turns s3:GetObject into s3:GetObjectVersion and the like, as AWS does.
std::string S3Action(std::string_view op_name, bool version_id);

}  // namespace flashstor::s3
