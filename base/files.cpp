#include "base/files.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace dl {

uint64_t fnv1a64(const char* data, size_t n) {
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; ++i) h = (h ^ uint8_t(data[i])) * 1099511628211ull;
    return h;
}

namespace fs = std::filesystem;

void write_file_atomic(const fs::path& path, const std::string& content) {
    const fs::path tmp = path.string() + ".tmp" + std::to_string(::getpid());
    auto fail = [&](const char* what) {
        const std::string reason = std::strerror(errno);
        ::unlink(tmp.c_str());
        throw IoError("cannot write " + path.string() + ": " + what + " failed (" + reason + ")");
    };
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) fail("open");
    size_t off = 0;
    while (off < content.size()) {
        const ssize_t n = ::write(fd, content.data() + off, content.size() - off);
        if (n < 0) {
            if (errno == EINTR) continue;
            ::close(fd);
            fail("write");
        }
        off += size_t(n);
    }
    if (::fsync(fd) != 0) {
        ::close(fd);
        fail("fsync");
    }
    if (::close(fd) != 0) fail("close");
    if (::rename(tmp.c_str(), path.c_str()) != 0) fail("rename");
}

void commit_file(const std::string& tmp, const std::string& path) {
    const int fd = ::open(tmp.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 || ::fsync(fd) != 0) {
        const std::string reason = std::strerror(errno);
        if (fd >= 0) ::close(fd);
        throw IoError("cannot write " + path + ": fsync failed (" + reason + ")");
    }
    ::close(fd);
    if (::rename(tmp.c_str(), path.c_str()) != 0)
        throw IoError("cannot write " + path + ": rename from " + tmp + " failed (" + std::strerror(errno) + ")");
}

std::string read_file(const fs::path& path) {
    FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) throw IoError("cannot read " + path.string() + ": " + std::strerror(errno));
    std::string s;
    char buf[65536];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) s.append(buf, n);
    std::fclose(f);
    return s;
}

StagedDir::StagedDir(fs::path target, bool overwrite) : target_(std::move(target)), overwrite_(overwrite) {
    std::error_code ec;
    if (fs::exists(target_, ec) && !overwrite_)
        throw IoError("output directory " + target_.string() +
                      " already exists; choose another --out or pass --overwrite");
    fs::path parent = target_.parent_path();
    if (parent.empty()) parent = ".";
    fs::create_directories(parent, ec);
    if (ec) throw IoError("cannot create directory " + parent.string() + ": " + ec.message());
    tmp_ = parent / (".staging-" + target_.filename().string() + "-" + std::to_string(::getpid()));
    fs::remove_all(tmp_, ec);
    if (!fs::create_directory(tmp_, ec) || ec)
        throw IoError("cannot write to " + parent.string() + ": " + (ec ? ec.message() : "create failed"));
}

StagedDir::~StagedDir() {
    if (!done_) {
        std::error_code ec;
        fs::remove_all(tmp_, ec);
    }
}

void StagedDir::commit() {
    std::error_code ec;
    fs::path old;
    if (fs::exists(target_, ec)) {
        old = target_.string() + ".old-" + std::to_string(::getpid());
        fs::rename(target_, old, ec);
        if (ec) throw IoError("cannot replace " + target_.string() + ": " + ec.message());
    }
    fs::rename(tmp_, target_, ec);
    if (ec) throw IoError("cannot move results into " + target_.string() + ": " + ec.message());
    done_ = true;
    if (!old.empty()) fs::remove_all(old, ec);
}

}  // namespace dl
