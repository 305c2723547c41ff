// Loads ../shared/golden files (Gymnasium reference data) for the tests.
#pragma once
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

inline nlohmann::json load_golden(const std::string& name) {
    const std::filesystem::path p = std::filesystem::path(DREAMLAB_GOLDEN_DIR) / name;
    std::ifstream f(p);
    if (!f) throw std::runtime_error("golden data missing: " + p.string() + " (expected ../shared/golden beside the repo)");
    return nlohmann::json::parse(f);
}
