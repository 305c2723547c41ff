// Files written so that a crash or a full disk never leaves a half-written result: every file goes to a
// temporary name first, is flushed to disk, then renamed over the target (rename is atomic on POSIX).
#pragma once
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>

namespace dl {

struct IoError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// FNV-1a, 64 bits: checkpoint checksums and the pinned metric hashes.
uint64_t fnv1a64(const char* data, size_t n);

// Writes `content` to `path` atomically; throws IoError naming the path and the reason.
void write_file_atomic(const std::filesystem::path& path, const std::string& content);
// Finishes a file written under a temporary name: flushes it to disk, renames it over `path`. Throws IoError.
void commit_file(const std::string& tmp, const std::string& path);
// Reads a whole file; throws IoError naming the path.
std::string read_file(const std::filesystem::path& path);

// A run directory built under a temporary name and moved into place by commit(); destroyed if never committed.
// `marker` is the file that makes a directory recognisably one of ours (a run's config.json): --overwrite replaces
// only such a directory, never a regular file or a directory of something else. Before it starts, the directory
// left by an interrupted replacement is recovered (recover_staged) and dead processes' staging directories removed.
class StagedDir {
public:
    // Throws IoError if `target` is empty, exists (and !overwrite, or is not ours), or its parent cannot be written.
    StagedDir(std::filesystem::path target, bool overwrite, std::string marker);
    ~StagedDir();
    const std::filesystem::path& path() const { return tmp_; }
    // Moves the staged directory into place (the old one, if any, is moved aside first, then removed); every rename
    // is made durable by fsyncing the parent directory.
    void commit();

private:
    std::filesystem::path target_, tmp_;
    bool overwrite_, done_ = false;
};

// A replacement of `target` that a process killed between its two renames left undone (the old directory moved
// aside as TARGET.old-PID, the new complete one still at .staging-NAME-PID): completes it (or, without the new
// one, moves the old one back). Also removes the staging and old directories of processes that no longer run.
// Returns a line saying what it did ("" if nothing).
std::string recover_staged(const std::filesystem::path& target);

// fsync of a directory, so that the renames inside it survive a power loss. Throws IoError.
void fsync_dir(const std::filesystem::path& dir);

}  // namespace dl
