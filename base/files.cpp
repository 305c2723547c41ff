#include "base/files.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

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

namespace {

fs::path parent_of(const fs::path& target) { return target.parent_path().empty() ? fs::path(".") : target.parent_path(); }

// The process id at the end of `name` after `prefix` ("…-1234"), or -1.
long trailing_pid(const std::string& name, const std::string& prefix) {
    if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) return -1;
    long pid = 0;
    for (size_t i = prefix.size(); i < name.size(); ++i) {
        if (name[i] < '0' || name[i] > '9' || pid > 1L << 40) return -1;
        pid = pid * 10 + (name[i] - '0');
    }
    return pid;
}

// A process that exists and is not a zombie. A zombie (killed, not yet reaped: in a container whose init never
// reaps, it stays one) still answers kill(pid, 0), but it will never write again: its leftovers are collectable.
bool pid_alive(long pid) {
    if (pid <= 0 || !(::kill(pid_t(pid), 0) == 0 || errno == EPERM)) return false;
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(stat, line)) return true;  // no /proc: trust kill()
    const size_t paren = line.rfind(')');        // "PID (comm) STATE …": comm may itself hold spaces and ')'
    return paren == std::string::npos || paren + 2 >= line.size() || (line[paren + 2] != 'Z' && line[paren + 2] != 'X');
}

}  // namespace

void fsync_dir(const fs::path& dir) {
    const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || ::fsync(fd) != 0) {
        const std::string reason = std::strerror(errno);
        if (fd >= 0) ::close(fd);
        throw IoError("cannot flush directory " + dir.string() + " to disk: " + reason);
    }
    ::close(fd);
}

std::string recover_staged(const fs::path& target) {
    const fs::path parent = parent_of(target);
    const std::string name = target.filename().string();
    const std::string staging_prefix = ".staging-" + name + "-", old_prefix = name + ".old-";
    std::error_code ec;
    std::vector<std::pair<long, fs::path>> staging, old;
    for (fs::directory_iterator it(parent, ec), end; !ec && it != end; it.increment(ec)) {
        const std::string fn = it->path().filename().string();
        if (const long pid = trailing_pid(fn, staging_prefix); pid > 0 && !pid_alive(pid)) staging.push_back({pid, it->path()});
        if (const long pid = trailing_pid(fn, old_prefix); pid > 0 && !pid_alive(pid)) old.push_back({pid, it->path()});
    }
    std::string said;
    if (!fs::exists(target, ec))
        for (const auto& [pid, o] : old) {
            // commit() moves the old run aside only once the new one is complete: finish the job if it is there.
            const auto fresh = std::find_if(staging.begin(), staging.end(), [&](const auto& s) { return s.first == pid; });
            const fs::path from = fresh != staging.end() ? fresh->second : o;
            fs::rename(from, target, ec);
            if (ec) throw IoError("cannot recover " + target.string() + " from " + from.string() + ": " + ec.message());
            fsync_dir(parent);
            said = fresh != staging.end() ? "completed the interrupted replacement of " + target.string() + " (process " + std::to_string(pid) + ")"
                                          : "restored " + target.string() + " from " + o.filename().string() + " (its replacement was interrupted)";
            if (fresh != staging.end()) staging.erase(fresh);
            break;
        }
    for (const auto& [pid, dir] : staging) fs::remove_all(dir, ec);
    for (const auto& [pid, dir] : old)
        if (fs::exists(dir, ec)) fs::remove_all(dir, ec);
    return said;
}

StagedDir::StagedDir(fs::path target, bool overwrite, std::string marker) : target_(std::move(target)), overwrite_(overwrite) {
    std::error_code ec;
    if (target_.empty() || target_.filename().empty() || target_.filename() == "." || target_.filename() == "..")
        throw IoError("output directory '" + target_.string() + "' is not allowed: expected a directory name, e.g. runs/lake");
    const fs::path parent = parent_of(target_);
    if (fs::is_directory(parent, ec)) recover_staged(target_);
    if (fs::exists(fs::symlink_status(target_, ec))) {
        if (!overwrite_)
            throw IoError("output directory " + target_.string() + " already exists; choose another --out or pass --overwrite");
        if (!fs::is_directory(fs::symlink_status(target_, ec)))
            throw IoError("--overwrite: " + target_.string() + " is " + (fs::is_symlink(fs::symlink_status(target_, ec)) ? "a symbolic link" : "a file") +
                          ", not a directory this program wrote; refusing to replace it");
        if (!fs::exists(target_ / marker, ec)) {
            std::string seen;
            int n = 0;
            for (fs::directory_iterator it(target_, ec), end; !ec && it != end && n < 4; it.increment(ec), ++n)
                seen += (seen.empty() ? "" : ", ") + it->path().filename().string();
            throw IoError("--overwrite: " + target_.string() + " has no " + marker + ", so it is not a directory this program wrote" +
                          (seen.empty() ? " (it is empty; remove it yourself)" : " (it holds " + seen + (n == 4 ? ", …" : "") + ")") +
                          "; refusing to delete it");
        }
    }
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
    const fs::path parent = parent_of(target_);
    fsync_dir(tmp_);  // the files' names inside it, before it moves
    fs::path old;
    if (fs::exists(target_, ec)) {
        old = target_.string() + ".old-" + std::to_string(::getpid());
        fs::rename(target_, old, ec);
        if (ec) throw IoError("cannot replace " + target_.string() + ": " + ec.message());
        fsync_dir(parent);
    }
    // A kill here leaves the old run at TARGET.old-PID and the new one staged: the next StagedDir or
    // recover_staged (eval --run) completes the move.
    fs::rename(tmp_, target_, ec);
    if (ec) throw IoError("cannot move results into " + target_.string() + ": " + ec.message());
    fsync_dir(parent);
    done_ = true;
    if (!old.empty()) fs::remove_all(old, ec);
}

}  // namespace dl
