// ShardFileWriter: how LocalDisk writes a shard file (create_file). Shard files are written with
// O_DIRECT where the file system takes it: the bytes go straight to the device instead of being
// copied into freshly allocated page-cache pages (docs/design.md, "Shard writes bypass the page
// cache"), from the caller's memory when it lines up with the file's end: page-aligned bytes
// to a file that ends on a page, or (write_in_place) page-aligned room in front of them for
// the bytes the writer carries (a stripe's shard buffer, mem::ShardBuffer, at its lead);
// else from a reused, page-aligned staging buffer.
// The file's last partial page, and everything on a file system that refuses direct I/O, goes
// through the page cache.
#pragma once

#include <sys/types.h>
#include <unistd.h>

#include <cstddef>
#include <memory>
#include <semaphore>
#include <string>

#include "flashstor/storage/meta_cache.h"
#include "flashstor/storage/storage_api.h"

namespace flashstor::storage {

using PwriteFn = ssize_t (*)(int fd, const void* buf, size_t count, off_t offset);

// One drive's staging slots: how many of its writes may hold a 256 KiB staging buffer at once
// (a write from page-aligned memory needs none).
// One: the device takes one direct write at a time from us (256 KiB: a few hundred microseconds
// on a virtual disk, less on NVMe), and the memory is bounded by the number of drives, whatever
// the number of requests. Measured (1 MiB PUTs, 8 clients, 4 drives): two slots gave the same
// throughput and ~1 MiB more peak RSS.
using StageSlots = std::counting_semaphore<>;
inline constexpr std::ptrdiff_t kStageSlotsPerDrive = 1;

// A writer of the file name in dir_fd, open for writing as fd; it owns both fds. stages: the
// drive's slots when fd was opened with O_DIRECT, null for a write through the page cache.
// sync_dir: close() also fsyncs the directory. cache: told of every change of rel when set.
// pwrite: the system call (tests put a refusing one in its place).
std::unique_ptr<FileWriter> MakeShardFileWriter(int fd, int dir_fd, std::string name, bool sync_dir,
                                                std::shared_ptr<MetaCache> cache, std::string rel,
                                                std::shared_ptr<StageSlots> stages,
                                                PwriteFn pwrite = ::pwrite);

// Frees the staging buffers kept between requests (the server going idle).
void ReleaseShardStageBuffers();

}  // namespace flashstor::storage
