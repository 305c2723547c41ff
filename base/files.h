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
class StagedDir {
public:
    // Throws IoError if `target` exists (and !overwrite) or its parent cannot be written.
    StagedDir(std::filesystem::path target, bool overwrite);
    ~StagedDir();
    const std::filesystem::path& path() const { return tmp_; }
    void commit();

private:
    std::filesystem::path target_, tmp_;
    bool overwrite_, done_ = false;
};

}  // namespace dl
