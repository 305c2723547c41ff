// base/files: atomic files and staged run directories — --overwrite replaces only what is ours, and a replacement
// killed between its two renames is completed (or rolled back) by the next run.
#include <doctest/doctest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "base/files.h"
#include "cli_helpers.h"

using namespace dl;
using namespace dl::test;
namespace fs = std::filesystem;

namespace {

// The id of a process that has just ended (so no process has it, barring reuse in the next instants).
long dead_pid() {
    const pid_t p = ::fork();
    if (p == 0) ::_exit(0);
    int st = 0;
    ::waitpid(p, &st, 0);
    return long(p);
}

void put(const fs::path& p, const std::string& text) {
    fs::create_directories(p.parent_path());
    write_file_atomic(p, text);
}

}  // namespace

TEST_CASE("StagedDir --overwrite replaces only a directory with the marker; anything else is refused by name") {
    const fs::path root = temp_dir("staged");
    fs::create_directories(root);
    // A user's directory: refused, naming what is in it; nothing deleted.
    put(root / "thesis" / "thesis.tex", "\\documentclass{article}");
    try {
        StagedDir d(root / "thesis", true, "config.json");
        FAIL("a directory without config.json was accepted for --overwrite");
    } catch (const IoError& e) {
        CHECK(std::string(e.what()).find("has no config.json") != std::string::npos);
        CHECK(std::string(e.what()).find("thesis.tex") != std::string::npos);
    }
    CHECK(read_file(root / "thesis" / "thesis.tex") == "\\documentclass{article}");
    // A regular file and a symbolic link: refused.
    put(root / "notes.txt", "keep me");
    CHECK_THROWS_WITH_AS(StagedDir(root / "notes.txt", true, "config.json"), doctest::Contains("a file"), IoError);
    fs::create_directory_symlink(root / "thesis", root / "link");
    CHECK_THROWS_WITH_AS(StagedDir(root / "link", true, "config.json"), doctest::Contains("symbolic link"), IoError);
    CHECK(read_file(root / "notes.txt") == "keep me");
    // Empty names and "." are not directory names.
    CHECK_THROWS_WITH_AS(StagedDir("", true, "config.json"), doctest::Contains("is not allowed"), IoError);
    CHECK_THROWS_WITH_AS(StagedDir(root / ".", true, "config.json"), doctest::Contains("is not allowed"), IoError);
    // Without --overwrite an existing directory is refused; with it, one of ours is replaced.
    put(root / "run" / "config.json", "old");
    CHECK_THROWS_WITH_AS(StagedDir(root / "run", false, "config.json"), doctest::Contains("already exists"), IoError);
    {
        StagedDir d(root / "run", true, "config.json");
        put(d.path() / "config.json", "new");
        d.commit();
    }
    CHECK(read_file(root / "run" / "config.json") == "new");
    for (const auto& e : fs::directory_iterator(root)) CHECK(e.path().filename().string().find(".old-") == std::string::npos);
    fs::remove_all(root);
}

TEST_CASE("recover_staged: a replacement killed between its renames is completed; without the new run, rolled back") {
    const fs::path root = temp_dir("recover");
    fs::create_directories(root);
    const std::string pid = std::to_string(dead_pid());
    // Killed after moving the old run aside, before moving the new one in: the new one is complete (commit runs last).
    put(root / ("run.old-" + pid) / "config.json", "old");
    put(root / (".staging-run-" + pid) / "config.json", "new");
    const std::string said = recover_staged(root / "run");
    CHECK(said.find("completed the interrupted replacement") != std::string::npos);
    CHECK(read_file(root / "run" / "config.json") == "new");
    CHECK(!fs::exists(root / ("run.old-" + pid)));
    CHECK(!fs::exists(root / (".staging-run-" + pid)));
    // Only the old one left (the staging directory was lost): it is put back.
    fs::rename(root / "run", root / ("run.old-" + pid));
    CHECK(recover_staged(root / "run").find("restored") != std::string::npos);
    CHECK(read_file(root / "run" / "config.json") == "new");
    // Staging directories of dead processes are collected; a live process's (ours) is left alone.
    put(root / (".staging-run-" + pid) / "metrics.csv", "partial");
    const fs::path mine = root / (".staging-run-" + std::to_string(::getpid()));
    put(mine / "metrics.csv", "in progress");
    CHECK(recover_staged(root / "run").empty());
    CHECK(!fs::exists(root / (".staging-run-" + pid)));
    CHECK(fs::exists(mine));
    // The next StagedDir does the same before it starts.
    put(root / ("run.old-" + pid) / "config.json", "stale");
    { StagedDir d(root / "run", true, "config.json"); }  // not committed: the run stays as it was
    CHECK(!fs::exists(root / ("run.old-" + pid)));       // run exists, so the stale old copy is removed
    CHECK(read_file(root / "run" / "config.json") == "new");
    fs::remove_all(root);
}

TEST_CASE("train --overwrite refuses a directory that is not a run, and eval --run recovers an interrupted replacement") {
    const fs::path root = temp_dir("overwrite_cli");
    put(root / "mine" / "thesis.tex", "text");
    Cli r = cli({"train", "--env", "FrozenLake-v1", "--algo", "q_learning", "--set", "episodes=10", "--out", (root / "mine").string(), "--overwrite"});
    CHECK(r.code != 0);
    CHECK(r.err.find("refusing to delete it") != std::string::npos);
    CHECK(read_file(root / "mine" / "thesis.tex") == "text");
    CHECK(cli({"train", "--env", "FrozenLake-v1", "--algo", "q_learning", "--out", ""}).err.find("is not allowed") != std::string::npos);
    // A finished run, then a replacement killed between its renames.
    REQUIRE(cli({"train", "--env", "FrozenLake-v1", "--algo", "q_learning", "--set", "episodes=10", "--out", (root / "run").string()}).code == 0);
    const std::string pid = std::to_string(dead_pid());
    fs::rename(root / "run", root / ("run.old-" + pid));
    Cli e = cli({"eval", "--run", (root / "run").string(), "--episodes", "5"});
    CHECK(e.code == 0);
    CHECK(fs::exists(root / "run" / "config.json"));
    fs::remove_all(root);
}
