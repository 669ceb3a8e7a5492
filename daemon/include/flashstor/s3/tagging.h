// S3 tags of objects and buckets: AWS's limits and allowed characters, the <Tagging> document
// (request and response) and the x-amz-tagging header (URL query form). Pure functions.
#pragma once

#include <string>
#include <string_view>

#include "flashstor/mem/arena.h"
#include "flashstor/object/object_layer.h"
#include "flashstor/s3/error_table.h"

namespace flashstor::s3 {

inline constexpr size_t kMaxObjectTags = 10;
inline constexpr size_t kMaxBucketTags = 50;
inline constexpr size_t kMaxTagKeyChars = 128;    // Unicode characters
inline constexpr size_t kMaxTagValueChars = 256;  // Unicode characters
inline constexpr size_t kMaxTaggingBodyBytes = 64u << 10;

enum class TagScope : uint8_t { kObject, kBucket };

// AWS's rules: at most 10 (object) / 50 (bucket) tags (BadRequest); keys 1..128 and values
// 0..256 characters of valid UTF-8 made of letters, digits, spaces and + - = . _ : / @ (any
// non-ASCII character counts as a letter); unique keys; no "aws:" prefix (InvalidTag).
ApiError ValidateTags(const object::Metadata& tags, TagScope scope);

// <Tagging><TagSet><Tag><Key/><Value/></Tag>...</TagSet></Tagging>, namespace optional;
// MalformedXML when it is not that shape, then ValidateTags.
ApiError ParseTaggingXml(std::string_view xml, TagScope scope, object::Metadata& out);

// x-amz-tagging: "k1=v1&k2=v2", percent-encoded ('+' is a space); then ValidateTags (object).
// Decoded text lives in the arena only while parsing: out holds copies.
ApiError ParseTaggingHeader(std::string_view header, mem::Arena& arena, object::Metadata& out);

// The <Tagging> response (and the canonical stored form of bucket tags).
std::string TaggingXml(const object::Metadata& tags);

}  // namespace flashstor::s3
