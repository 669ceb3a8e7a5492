// The on-drive IAM record: IamState as one JSON document (cJSON), secret keys sealed.
#pragma once

#include <string>
#include <string_view>

#include "flashstor/iam/iam_store.h"
#include "flashstor/iam/secret_seal.h"

namespace flashstor::iam::internal {

// nullopt when a secret cannot be sealed.
std::optional<std::string> EncodeIamRecord(const IamState& state, const SealKey& key);
// kCorrupt for anything that is not a record. Keys whose secret does not open are dropped
// (dropped counts them).
Result<IamState> DecodeIamRecord(std::string_view json, const SealKey& key, size_t* dropped);

}  // namespace flashstor::iam::internal
