// Server-side encryption of multipart uploads: CreateMultipartUpload decides the mode and
// seals the object's data key once (stored with the upload, carried to the object by
// Complete); each part is sealed in packages under that key with its part number.
#pragma once

#include <optional>

#include "flashstor/object/object_layer.h"
#include "op_context.h"
#include "sse_request.h"

namespace flashstor::s3::sse {

// CreateMultipartUpload: the mode as PrepareWrite decides it; options.metadata loses any
// internal SSE entries and gets the upload's.
ApiError PrepareUpload(OpContext& ctx, WriteSse& sse, object::PutOptions& options);

// UploadPart and UploadPartCopy: the encryption of the request's upload (uploadId), empty for
// a plaintext upload. SSE-C: the request's key headers must name the upload's key (400
// InvalidRequest without them, 403 AccessDenied for another key); SSE-C headers on an upload
// that is not SSE-C: 400 InvalidRequest.
ApiError PreparePart(OpContext& ctx, std::optional<ReadSse>& out);

// CompleteMultipartUpload: SSE-C headers are optional there, but when sent they must name
// the upload's key (as PreparePart checks them).
ApiError CheckCompleteSse(OpContext& ctx);

// Stores body (the client's bytes; size, or -1) as part `part` of the request's upload,
// sealed under sse when set. The part's size, checksum and (SSE-S3) ETag are the client's
// bytes'.
Result<object::PartInfo> PutPartData(OpContext& ctx, std::optional<ReadSse>& sse, int part,
                                     hash::HashingSource& body, int64_t size);

// The x-amz-server-side-encryption* headers of an UploadPart / UploadPartCopy answer.
void AddPartHeaders(OpContext& ctx, const std::optional<ReadSse>& sse);

}  // namespace flashstor::s3::sse
