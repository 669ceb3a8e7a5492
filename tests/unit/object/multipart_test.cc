// Unit tests of multipart uploads: complete with ETag and composite checksum, the data read
// back across part boundaries, every completion error, part listing and pagination, upload
// listing, abort, and part replacement.
#include <openssl/evp.h>

#include <string>
#include <vector>

#include "engine_test_util.h"
#include "faulty_engine.h"
#include "flashstor/object/set_layout.h"
#include "flashstor/storage/local_disk.h"

#include "cmocka_cpp.h"

using namespace flashstor;
using namespace flashstor::testing;

namespace {

constexpr size_t kMiB = 1u << 20;

std::string Md5(std::string_view data) {
  unsigned char d[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), d, &len, EVP_md5(), nullptr);
  return std::string(reinterpret_cast<char*>(d), len);
}

std::string Hex(std::string_view raw) {
  return hash::HexEncode({reinterpret_cast<const unsigned char*>(raw.data()), raw.size()});
}

Result<object::PartInfo> PutPart(object::ObjectLayer& e, const std::string& key,
                                 const std::string& id, int n, std::string_view data,
                                 hash::ChecksumAlgo algo = hash::ChecksumAlgo::kNone) {
  MemSource src(data);
  hash::Expectations ex;
  ex.checksum_algo = algo;
  hash::HashingSource body(src, ex);
  return e.put_object_part({}, "bucket", key, id, n, body, static_cast<int64_t>(data.size()));
}

struct Fixture {
  TempDir dir;
  std::unique_ptr<object::ErasureSets> e;
  explicit Fixture(int drives) : e(MustOpen(MakeDrives(dir, drives), TestConfig())) {
    assert_true(e->make_bucket({}, "bucket").ok());
  }
};

void test_complete_three_parts_plus_one_byte(void**) {
  Fixture f(4);
  auto id = f.e->new_multipart_upload({}, "bucket", "big/object", {}, hash::ChecksumAlgo::kCrc32c);
  assert_true(id.has_value());
  std::vector<std::string> parts = {RandomData(5 * kMiB, 1), RandomData(5 * kMiB, 2),
                                    RandomData(5 * kMiB, 3), "z"};
  std::vector<object::CompletePart> list;
  std::string md5s, whole;
  std::vector<std::string> crcs;
  for (size_t i = 0; i < parts.size(); ++i) {
    auto p = PutPart(*f.e, "big/object", *id, static_cast<int>(i + 1), parts[i],
                     hash::ChecksumAlgo::kCrc32c);
    assert_true(p.has_value());
    assert_string_equal(p->etag.c_str(), Hex(Md5(parts[i])).c_str());
    assert_false(p->checksum_b64.empty());
    list.push_back({p->number, "\"" + p->etag + "\"", ""});
    md5s += Md5(parts[i]);
    whole += parts[i];
    crcs.push_back(p->checksum_b64);
  }
  auto info = f.e->complete_multipart_upload({}, "bucket", "big/object", *id, list);
  assert_true(info.has_value());
  std::string want_etag = Hex(Md5(md5s)) + "-4";
  assert_string_equal(info->etag.c_str(), want_etag.c_str());
  assert_int_equal(info->size, whole.size());
  hash::Checksum composite(hash::ChecksumAlgo::kCrc32c);
  for (const auto& c : crcs) composite.update(*hash::Base64Decode(c));
  assert_string_equal(info->checksum_b64.c_str(), (composite.final_b64() + "-4").c_str());
  auto head = f.e->get_object_info({}, "bucket", "big/object");
  assert_string_equal(head->etag.c_str(), want_etag.c_str());
  assert_int_equal(head->parts.size(), 4);
  assert_int_equal(head->parts[3].size, 1);
  assert_true(*Get(*f.e, "bucket", "big/object") == whole);
  // Ranges across part boundaries.
  auto r = Get(*f.e, "bucket", "big/object", 5 * kMiB - 3, 7);
  assert_true(*r == whole.substr(5 * kMiB - 3, 7));
  r = Get(*f.e, "bucket", "big/object", whole.size() - 2, 2);
  assert_true(*r == whole.substr(whole.size() - 2));
  // The upload is gone.
  assert_int_equal(f.e->list_parts({}, "bucket", "big/object", *id, 0, 100).error().code(),
                   Code::kNoSuchUpload);
}

void test_complete_errors(void**) {
  Fixture f(4);
  auto id = f.e->new_multipart_upload({}, "bucket", "k", {}, hash::ChecksumAlgo::kNone);
  std::string small = RandomData(1000, 4), big = RandomData(5 * kMiB, 5);
  auto p1 = PutPart(*f.e, "k", *id, 1, small);
  auto p2 = PutPart(*f.e, "k", *id, 2, big);
  auto p3 = PutPart(*f.e, "k", *id, 3, small);
  assert_true(p1 && p2 && p3);
  using CP = object::CompletePart;
  auto complete = [&](std::vector<CP> parts) {
    return f.e->complete_multipart_upload({}, "bucket", "k", *id, parts);
  };
  assert_int_equal(complete({}).error().code(), Code::kMalformedXml);
  assert_int_equal(complete({{2, p2->etag, ""}, {1, p1->etag, ""}}).error().code(),
                   Code::kInvalidPartOrder);
  assert_int_equal(complete({{2, p2->etag, ""}, {2, p2->etag, ""}}).error().code(),
                   Code::kInvalidPartOrder);
  assert_int_equal(complete({{2, p2->etag, ""}, {4, p2->etag, ""}}).error().code(),
                   Code::kInvalidPart);
  assert_int_equal(complete({{2, p2->etag, ""}, {3, p2->etag, ""}}).error().code(),
                   Code::kInvalidPart);  // wrong etag
  assert_int_equal(complete({{1, p1->etag, ""}, {2, p2->etag, ""}}).error().code(),
                   Code::kEntityTooSmall);
  assert_int_equal(complete({{0, p1->etag, ""}}).error().code(), Code::kInvalidPart);
  // Bad part numbers and unknown uploads.
  assert_int_equal(PutPart(*f.e, "k", *id, 0, "x").error().code(), Code::kInvalidArgument);
  assert_int_equal(PutPart(*f.e, "k", *id, 10001, "x").error().code(), Code::kInvalidArgument);
  assert_int_equal(PutPart(*f.e, "k", "not-a-uuid", 1, "x").error().code(), Code::kNoSuchUpload);
  assert_int_equal(
      PutPart(*f.e, "k", "00000000-0000-4000-8000-000000000000", 1, "x").error().code(),
      Code::kNoSuchUpload);
  assert_int_equal(PutPart(*f.e, "other", *id, 1, "x").error().code(), Code::kNoSuchUpload);
  // A valid subset (parts 2 and 3) completes; part 1 is dropped.
  auto info = complete({{2, p2->etag, ""}, {3, "\"" + p3->etag + "\"", ""}});
  assert_true(info.has_value());
  assert_true(*Get(*f.e, "bucket", "k") == big + small);
  assert_int_equal(complete({{2, p2->etag, ""}}).error().code(), Code::kNoSuchUpload);
}

void test_list_parts_and_replace(void**) {
  Fixture f(6);
  auto id = f.e->new_multipart_upload({}, "bucket", "p", {}, hash::ChecksumAlgo::kNone);
  for (int n = 1; n <= 12; ++n) {
    assert_true(PutPart(*f.e, "p", *id, n * 2, "part" + std::to_string(n)).has_value());
  }
  auto page = f.e->list_parts({}, "bucket", "p", *id, 0, 5);
  assert_true(page.has_value());
  assert_int_equal(page->parts.size(), 5);
  assert_true(page->truncated);
  assert_int_equal(page->parts[0].number, 2);
  assert_int_equal(page->next_part_number_marker, 10);
  page = f.e->list_parts({}, "bucket", "p", *id, 10, 100);
  assert_int_equal(page->parts.size(), 7);
  assert_false(page->truncated);
  assert_int_equal(page->parts.back().number, 24);
  // Uploading a part number again replaces it.
  auto again = PutPart(*f.e, "p", *id, 2, "replaced");
  page = f.e->list_parts({}, "bucket", "p", *id, 0, 1);
  assert_string_equal(page->parts[0].etag.c_str(), again->etag.c_str());
  assert_int_equal(page->parts[0].size, 8);
  assert_true(f.e->abort_multipart_upload({}, "bucket", "p", *id).ok());
  assert_int_equal(f.e->list_parts({}, "bucket", "p", *id, 0, 5).error().code(),
                   Code::kNoSuchUpload);
  assert_int_equal(f.e->abort_multipart_upload({}, "bucket", "p", *id).code(), Code::kNoSuchUpload);
  assert_int_equal(f.e->get_object_info({}, "bucket", "p").error().code(), Code::kNoSuchKey);
}

void test_list_uploads(void**) {
  Fixture f(4);
  assert_true(f.e->make_bucket({}, "other").ok());
  std::vector<std::string> keys = {"a/1", "a/2", "b", "c/x/y", "b"};
  std::vector<std::string> ids;
  for (const auto& k : keys) ids.push_back(*f.e->new_multipart_upload({}, "bucket", k, {}, {}));
  assert_true(f.e->new_multipart_upload({}, "other", "a/1", {}, {}).has_value());
  object::ListUploadsOptions opt;
  auto all = f.e->list_multipart_uploads({}, "bucket", opt);
  assert_true(all.has_value());
  assert_int_equal(all->uploads.size(), 5);
  assert_string_equal(all->uploads[0].key.c_str(), "a/1");
  assert_string_equal(all->uploads[4].key.c_str(), "c/x/y");
  opt.delimiter = "/";
  auto grouped = f.e->list_multipart_uploads({}, "bucket", opt);
  assert_int_equal(grouped->uploads.size(), 2);  // the two "b" uploads
  assert_int_equal(grouped->common_prefixes.size(), 2);
  assert_string_equal(grouped->common_prefixes[0].c_str(), "a/");
  opt = {};
  opt.max_uploads = 2;
  auto page = f.e->list_multipart_uploads({}, "bucket", opt);
  assert_int_equal(page->uploads.size(), 2);
  assert_true(page->truncated);
  opt.key_marker = page->next_key_marker;
  opt.upload_id_marker = page->next_upload_id_marker;
  page = f.e->list_multipart_uploads({}, "bucket", opt);
  assert_int_equal(page->uploads.size(), 2);
  assert_string_equal(page->uploads[0].key.c_str(), "b");
  opt = {};
  opt.prefix = "c/";
  assert_int_equal(f.e->list_multipart_uploads({}, "bucket", opt)->uploads.size(), 1);
  // Deleting the bucket aborts its uploads (no objects left).
  assert_true(f.e->delete_bucket({}, "bucket").ok());
  assert_int_equal(f.e->list_multipart_uploads({}, "other", {})->uploads.size(), 1);
}

// Completes a one-part upload of "k" ("only part") after copying every drive's multipart
// directory aside (to <drive>/saved-mp), so a test can put them back as a crash would have left
// them. Returns the upload id.
std::string CompleteWithUploadDirsSaved(Fixture& f, const std::vector<std::string>& drives) {
  auto id = f.e->new_multipart_upload({}, "bucket", "k", {}, hash::ChecksumAlgo::kNone);
  auto p1 = PutPart(*f.e, "k", *id, 1, "only part");
  for (const auto& d : drives) {
    std::string cmd = "cp -a " + d + "/.flashstor.sys/multipart " + d + "/saved-mp";
    assert_int_equal(system(cmd.c_str()), 0);
  }
  assert_true(
      f.e->complete_multipart_upload({}, "bucket", "k", *id, {{1, p1->etag, ""}}).has_value());
  return *id;
}

// A crash between the commit and the upload's removal leaves the upload directory behind:
// the object records its upload id, so the upload reads as completed and is cleaned up.
void test_upload_left_by_crash_is_completed(void**) {
  Fixture f(4);
  auto drives = MakeDrives(f.dir, 4);  // the existing drive paths
  const std::string id = CompleteWithUploadDirsSaved(f, drives);
  for (const auto& d : drives) {
    std::string cmd = "rm -rf " + d + "/.flashstor.sys/multipart && mv " + d + "/saved-mp " + d +
                      "/.flashstor.sys/multipart";
    assert_int_equal(system(cmd.c_str()), 0);
  }
  assert_int_equal(f.e->list_multipart_uploads({}, "bucket", {})->uploads.size(), 0);
  assert_int_equal(f.e->list_parts({}, "bucket", "k", id, 0, 10).error().code(),
                   Code::kNoSuchUpload);
  assert_true(*Get(*f.e, "bucket", "k") == "only part");
  // A new upload of the same key is unaffected.
  auto id2 = f.e->new_multipart_upload({}, "bucket", "k", {}, hash::ChecksumAlgo::kNone);
  assert_int_equal(f.e->list_multipart_uploads({}, "bucket", {})->uploads.size(), 1);
  assert_true(f.e->list_parts({}, "bucket", "k", *id2, 0, 10).has_value());
}

// A completed upload whose removal reached a quorum of drives but not the last one before a
// crash, and whose key was overwritten since (so the object no longer names it): the leftover on
// one drive of four is below the upload's data count. It is not listed, exactly as reading it
// answers NoSuchUpload; on two drives (the data count) it is listed and can be aborted.
void test_upload_left_on_a_minority_is_not_listed(void**) {
  Fixture f(4);
  auto drives = MakeDrives(f.dir, 4);  // the existing drive paths
  const std::string id = CompleteWithUploadDirsSaved(f, drives);
  assert_true(Put(*f.e, "bucket", "k", "overwritten").has_value());
  auto restore = [&](const std::string& d) {
    std::string cmd = "rm -rf " + d + "/.flashstor.sys/multipart && cp -a " + d + "/saved-mp " + d +
                      "/.flashstor.sys/multipart";
    assert_int_equal(system(cmd.c_str()), 0);
  };
  restore(drives[2]);
  assert_int_equal(f.e->list_multipart_uploads({}, "bucket", {})->uploads.size(), 0);
  assert_int_equal(f.e->abort_multipart_upload({}, "bucket", "k", id).code(), Code::kNoSuchUpload);
  restore(drives[3]);
  auto listed = f.e->list_multipart_uploads({}, "bucket", {});
  assert_int_equal(listed->uploads.size(), 1);
  assert_true(listed->uploads[0].upload_id == id);
  assert_true(f.e->abort_multipart_upload({}, "bucket", "k", id).ok());
  assert_int_equal(f.e->list_multipart_uploads({}, "bucket", {})->uploads.size(), 0);
  assert_true(*Get(*f.e, "bucket", "k") == "overwritten");
}

// A complete that cannot reach the write quorum leaves the upload intact for a retry.
void test_failed_complete_keeps_upload(void**) {
  FaultyEngine f(4);
  object::ErasureSets& e = *f.e;
  std::vector<std::shared_ptr<FaultyDisk>>& faulty = f.faulty;
  auto id = e.new_multipart_upload({}, "bucket", "k", {}, hash::ChecksumAlgo::kNone);
  std::string a = RandomData(5 * kMiB, 7), b = "tail";
  auto p1 = PutPart(e, "k", *id, 1, a);
  auto p2 = PutPart(e, "k", *id, 2, b);
  faulty[0]->set(storage::DriveCall::kWriteAll,
                 storage::FaultRule::Fail(Code::kFaultyDisk).on_file(storage::kMetaFile));
  faulty[1]->set(storage::DriveCall::kWriteAll,
                 storage::FaultRule::Fail(Code::kFaultyDisk).on_file(storage::kMetaFile));
  std::vector<object::CompletePart> list = {{1, p1->etag, ""}, {2, p2->etag, ""}};
  assert_int_equal(e.complete_multipart_upload({}, "bucket", "k", *id, list).error().code(),
                   Code::kWriteQuorum);
  faulty[0]->clear(storage::DriveCall::kWriteAll);
  faulty[1]->clear(storage::DriveCall::kWriteAll);
  assert_int_equal(e.get_object_info({}, "bucket", "k").error().code(), Code::kNoSuchKey);
  assert_int_equal(e.list_parts({}, "bucket", "k", *id, 0, 10)->parts.size(), 2);
  assert_true(e.complete_multipart_upload({}, "bucket", "k", *id, list).has_value());
  assert_true(*Get(e, "bucket", "k") == a + b);
  assert_true(e.list_multipart_uploads({}, "bucket", {})->uploads.empty());
  assert_int_equal(e.list_parts({}, "bucket", "k", *id, 0, 10).error().code(), Code::kNoSuchUpload);
}

// A Complete repeated after success (its first answer lost) answers the same result, as
// AWS does; once the key holds another object, the upload id is unknown again.
void test_repeated_complete_answers_the_same(void**) {
  Fixture f(4);
  auto id = f.e->new_multipart_upload({}, "bucket", "k", {}, hash::ChecksumAlgo::kCrc32);
  auto p1 = PutPart(*f.e, "k", *id, 1, "first and only", hash::ChecksumAlgo::kCrc32);
  std::vector<object::CompletePart> list = {{1, p1->etag, ""}};
  auto first = f.e->complete_multipart_upload({}, "bucket", "k", *id, list);
  assert_true(first.has_value());
  auto again = f.e->complete_multipart_upload({}, "bucket", "k", *id, list);
  assert_true(again.has_value());
  assert_string_equal(again->etag.c_str(), first->etag.c_str());
  assert_string_equal(again->checksum_b64.c_str(), first->checksum_b64.c_str());
  assert_int_equal(again->size, first->size);
  // Another upload id of the same key, or the same id on another key: still unknown.
  auto other = f.e->new_multipart_upload({}, "bucket", "k2", {}, hash::ChecksumAlgo::kNone);
  assert_int_equal(f.e->complete_multipart_upload({}, "bucket", "k2", *id, list).error().code(),
                   Code::kNoSuchUpload);
  assert_true(other.has_value());
  assert_true(Put(*f.e, "bucket", "k", "overwritten").has_value());
  assert_int_equal(f.e->complete_multipart_upload({}, "bucket", "k", *id, list).error().code(),
                   Code::kNoSuchUpload);
}

// FULL_OBJECT: the object's checksum is the CRC of all its bytes (combined from the parts'
// CRCs), and the upload's internal marker never reaches the object's metadata.
void test_full_object_checksum(void**) {
  Fixture f(4);
  object::PutOptions opts;
  opts.full_object_checksum = true;
  opts.metadata = {{"x-amz-meta-a", "b"}};
  assert_int_equal(f.e->new_multipart_upload({}, "bucket", "k", opts, hash::ChecksumAlgo::kSha256)
                       .error()
                       .code(),
                   Code::kInvalidRequest);
  auto id = f.e->new_multipart_upload({}, "bucket", "k", opts, hash::ChecksumAlgo::kCrc32c);
  assert_true(id.has_value());
  std::string a = RandomData(5 * kMiB, 8), b = RandomData(777, 9);
  auto p1 = PutPart(*f.e, "k", *id, 1, a, hash::ChecksumAlgo::kCrc32c);
  auto p2 = PutPart(*f.e, "k", *id, 2, b, hash::ChecksumAlgo::kCrc32c);
  auto info = f.e->complete_multipart_upload({}, "bucket", "k", *id,
                                             {{1, p1->etag, ""}, {2, p2->etag, ""}});
  assert_true(info.has_value());
  hash::Checksum whole(hash::ChecksumAlgo::kCrc32c);
  whole.update(a + b);
  assert_string_equal(info->checksum_b64.c_str(), whole.final_b64().c_str());
  auto head = f.e->get_object_info({}, "bucket", "k");
  assert_string_equal(head->checksum_b64.c_str(), whole.final_b64().c_str());
  assert_int_equal(head->metadata.size(), 1);
  assert_string_equal(head->metadata[0].first.c_str(), "x-amz-meta-a");
}

// Transformed (encrypted) parts: the stored bytes differ from the client's, whose size,
// ETag (when asked) and checksum the part and the completed object report; the upload's
// metadata comes back from a ListParts past the last part number without reading parts.
void test_transformed_parts(void**) {
  Fixture f(4);
  object::PutOptions opt;
  opt.metadata.emplace_back("x-flashstor-test", "v");
  auto id = f.e->new_multipart_upload({}, "bucket", "t", opt, hash::ChecksumAlgo::kCrc32);
  assert_true(id.has_value());
  const std::string plain1 = RandomData(5 * kMiB, 11), plain2 = RandomData(1000, 12);
  auto put = [&](int n, const std::string& plain, size_t grow, bool etag_from_plaintext) {
    MemSource client_src(plain);
    hash::Expectations ex;
    ex.checksum_algo = hash::ChecksumAlgo::kCrc32;
    hash::HashingSource client(client_src, ex);
    std::string drained(plain.size() + 1, '\0');
    assert_int_equal(*ReadFull(client, {drained.data(), drained.size()}), plain.size());
    const std::string stored = RandomData(plain.size() + grow, 13);
    MemSource stored_src(stored);
    hash::HashingSource body(stored_src, {});
    object::PartOptions po{&client, etag_from_plaintext};
    auto r = f.e->put_object_part({}, "bucket", "t", *id, n, body,
                                  static_cast<int64_t>(stored.size()), po);
    assert_true(r.has_value());
    assert_int_equal(r->size, plain.size());
    assert_string_equal(r->etag.c_str(), Hex(Md5(etag_from_plaintext ? plain : stored)).c_str());
    assert_string_equal(r->checksum_b64.c_str(), client.checksum_b64().c_str());
    return *r;
  };
  auto p1 = put(1, plain1, 1280, true);
  auto p2 = put(2, plain2, 16, false);
  auto listed = f.e->list_parts({}, "bucket", "t", *id, 0, 10);
  assert_int_equal(listed->parts.size(), 2);
  assert_int_equal(listed->parts[0].size, plain1.size());
  assert_int_equal(listed->parts[1].size, plain2.size());
  auto head = f.e->list_parts({}, "bucket", "t", *id, object::kMaxPartNumber, 0);
  assert_true(head.has_value());
  assert_true(head->parts.empty());
  assert_false(head->truncated);
  assert_int_equal(head->upload.metadata.size(), 1);
  assert_string_equal(head->upload.metadata[0].second.c_str(), "v");
  auto done =
      f.e->complete_multipart_upload({}, "bucket", "t", *id, {{1, p1.etag, ""}, {2, p2.etag, ""}});
  assert_true(done.has_value());
  auto info = f.e->get_object_info({}, "bucket", "t");
  assert_int_equal(info->size, plain1.size() + plain2.size());
  assert_int_equal(info->stored_size, plain1.size() + plain2.size() + 1280 + 16);
  assert_int_equal(info->parts.size(), 2);
  assert_int_equal(info->parts[0].size, plain1.size());
  assert_int_equal(info->parts[1].size, plain2.size());
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_complete_three_parts_plus_one_byte),
      cmocka_unit_test(test_complete_errors),
      cmocka_unit_test(test_list_parts_and_replace),
      cmocka_unit_test(test_list_uploads),
      cmocka_unit_test(test_upload_left_by_crash_is_completed),
      cmocka_unit_test(test_upload_left_on_a_minority_is_not_listed),
      cmocka_unit_test(test_failed_complete_keeps_upload),
      cmocka_unit_test(test_repeated_complete_answers_the_same),
      cmocka_unit_test(test_full_object_checksum),
      cmocka_unit_test(test_transformed_parts),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
