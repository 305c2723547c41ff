#include "envs/frozen_lake.h"

#include <algorithm>
#include <cmath>

namespace dl {

// [SECTION] Maps

void FrozenLakeArgs::check() const {
    const FrozenLakeArgs d;
    if (map != "random") {
        const char* set = random_size != d.random_size ? "random_size" : random_p != d.random_p ? "random_p" : map_seed != d.map_seed ? "map_seed" : nullptr;
        if (set) throw ParamError(std::string(set) + " is given but map=" + map + ": it only shapes map=random; drop it or set map=random");
    }
    if (!is_slippery && success_rate != d.success_rate)
        throw ParamError("success_rate=" + format_number(success_rate) + " is given but is_slippery=false: it only matters on a slippery lake");
}

std::vector<std::string> frozen_lake_named_map(const std::string& name) {
    if (name == "4x4") return {"SFFF", "FHFH", "FFFH", "HFFG"};
    if (name == "8x8")
        return {"SFFFFFFF", "FFFFFFFF", "FFFHFFFF", "FFFFFHFF", "FFFHFFFF", "FHHFFFHF", "FHFFHFHF", "FFFHFFFG"};
    return {};
}

std::vector<std::string> parse_lake_map(const std::string& text) {
    std::vector<std::string> rows;
    std::string cur;
    auto flush = [&] {
        if (!cur.empty()) rows.push_back(cur);
        cur.clear();
    };
    for (char c : text) {
        if (c == '/' || c == ',' || c == ';' || c == '\n') flush();
        else if (c == ' ' || c == '\r' || c == '\t') continue;
        else if (std::string("SFHGC").find(c) != std::string::npos) cur += c;
        else if (std::string("sfhgc").find(c) != std::string::npos) cur += char(c - 'a' + 'A');
        else
            throw ParamError("map='" + text + "': unknown cell '" + std::string(1, c) +
                             "'; cells are S (start), F (frozen), H (hole), G (goal), C (coin), rows split by '/'");
    }
    flush();
    if (rows.empty()) throw ParamError("map='" + text + "' is empty: give rows of S F H G C separated by '/'");
    const size_t w = rows[0].size();
    int starts = 0, goals = 0, coins = 0;
    for (size_t r = 0; r < rows.size(); ++r) {
        if (rows[r].size() != w)
            throw ParamError("map='" + text + "': row " + std::to_string(r + 1) + " has " +
                             std::to_string(rows[r].size()) + " cells but row 1 has " + std::to_string(w) +
                             "; all rows must have the same length");
        starts += int(std::count(rows[r].begin(), rows[r].end(), 'S'));
        goals += int(std::count(rows[r].begin(), rows[r].end(), 'G'));
        coins += int(std::count(rows[r].begin(), rows[r].end(), 'C'));
    }
    if (rows.size() > 64 || w > 64) throw ParamError("map='" + text + "' is larger than the allowed 64x64");
    if (starts < 1) throw ParamError("map='" + text + "' has no start cell S (at least one is needed)");
    if (goals < 1) throw ParamError("map='" + text + "' has no goal cell G (at least one is needed)");
    if (coins > 1) throw ParamError("map='" + text + "' has " + std::to_string(coins) + " coins C (at most 1 allowed)");
    return rows;
}

bool lake_has_path(const std::vector<std::string>& rows) {
    const int R = int(rows.size()), C = int(rows[0].size());
    std::vector<char> seen(size_t(R) * C, 0);
    std::vector<std::pair<int, int>> stack;
    for (int r = 0; r < R; ++r)
        for (int c = 0; c < C; ++c)
            if (rows[r][c] == 'S') stack.push_back({r, c}), seen[r * C + c] = 1;
    while (!stack.empty()) {
        auto [r, c] = stack.back();
        stack.pop_back();
        if (rows[r][c] == 'G') return true;
        for (int a = 0; a < 4; ++a) {
            int nr = r, nc = c;
            lake_move(nr, nc, a, R, C);
            if (seen[nr * C + nc] || rows[nr][nc] == 'H') continue;
            seen[nr * C + nc] = 1;
            stack.push_back({nr, nc});
        }
    }
    return false;
}

std::vector<std::string> generate_random_lake(int size, double p, uint64_t seed) {
    if (size < 2) throw ParamError("random_size=" + std::to_string(size) + " is not allowed: expected at least 2");
    Rng rng(seed);
    for (int attempt = 0; attempt < 100000; ++attempt) {
        std::vector<std::string> rows(size, std::string(size, 'F'));
        for (auto& row : rows)
            for (auto& cell : row) cell = rng.uniform() < p ? 'F' : 'H';
        rows[0][0] = 'S';
        rows[size - 1][size - 1] = 'G';
        if (lake_has_path(rows)) return rows;
    }
    throw ParamError("random_p=" + format_number(p) + " gave no map with a path in 100000 tries; use a larger random_p");
}

void lake_move(int& row, int& col, int action, int rows, int cols) {
    switch (action) {
        case kLeft: col = std::max(col - 1, 0); break;
        case kDown: row = std::min(row + 1, rows - 1); break;
        case kRight: col = std::min(col + 1, cols - 1); break;
        case kUp: row = std::max(row - 1, 0); break;
    }
}

// [SECTION] Environment

FrozenLake::FrozenLake(const FrozenLakeArgs& args) : args_(args) {
    if (args.map == "random") map_ = generate_random_lake(int(args.random_size), args.random_p, uint64_t(args.map_seed));
    else if (auto named = frozen_lake_named_map(args.map); !named.empty()) map_ = named;
    else map_ = parse_lake_map(args.map);
    rows_ = int(map_.size());
    cols_ = int(map_[0].size());
    for (const auto& r : map_)
        if (r.find('C') != std::string::npos) layers_ = 2;
    max_steps_ = args.max_episode_steps > 0 ? int(args.max_episode_steps) : (rows_ * cols_ <= 16 ? 100 : 200);
    build_model();
    const int cells = rows_ * cols_;
    init_.assign(num_states(), 0.0);
    int starts = 0;
    for (int i = 0; i < cells; ++i) starts += map_[i / cols_][i % cols_] == 'S';
    for (int i = 0; i < cells; ++i)
        if (map_[i / cols_][i % cols_] == 'S') init_[i] = 1.0 / starts;
    reset_state(0);
}

char FrozenLake::cell(int s) const {
    const int c = s % (rows_ * cols_);
    return map_[c / cols_][c % cols_];
}

bool FrozenLake::is_terminal(int s) const { return cell(s) == 'G' || cell(s) == 'H'; }

GridLayout FrozenLake::layout() const {
    GridLayout g{rows_, cols_, layers_, {}, map_};
    g.layer_names = layers_ == 2 ? std::vector<std::string>{"coin on the ice", "coin taken"}
                                 : std::vector<std::string>{"lake"};
    return g;
}

std::vector<double> FrozenLake::initial_distribution() const { return init_; }

// The model exactly as Gymnasium builds env.P, plus the coin layer.
void FrozenLake::build_model() {
    const int cells = rows_ * cols_;
    auto outcome = [&](int layer, int row, int col, int action, double prob) {
        lake_move(row, col, action, rows_, cols_);
        const char letter = map_[row][col];
        int next_layer = layer;
        double reward = letter == 'G' ? args_.reward_goal : letter == 'H' ? args_.reward_hole : args_.reward_step;
        if (letter == 'C' && layer == 0) {
            reward += args_.reward_coin;
            next_layer = 1;
        }
        return Transition{prob, next_layer * cells + row * cols_ + col, reward, letter == 'G' || letter == 'H'};
    };
    auto P = std::make_shared<TabularModel>(num_states(), std::vector<std::vector<Transition>>(4));
    for (int layer = 0; layer < layers_; ++layer)
        for (int row = 0; row < rows_; ++row)
            for (int col = 0; col < cols_; ++col) {
                const int s = layer * cells + row * cols_ + col;
                for (int a = 0; a < 4; ++a) {
                    auto& li = (*P)[s][a];
                    const char letter = map_[row][col];
                    if (letter == 'G' || letter == 'H') li.push_back({1.0, s, 0.0, true});
                    else if (args_.is_slippery)
                        for (int b : {(a + 3) % 4, a, (a + 1) % 4})
                            li.push_back(outcome(layer, row, col, b,
                                                 b == a ? args_.success_rate : (1.0 - args_.success_rate) / 2.0));
                    else li.push_back(outcome(layer, row, col, a, 1.0));
                }
            }
    model_ = std::move(P);
}

int FrozenLake::reset_state(std::optional<uint64_t> seed) {
    if (seed) rng_.reseed(*seed);
    s_ = int(rng_.categorical(init_));
    elapsed_ = 0;
    success_ = false;
    trail_.assign(1, s_);
    return s_;
}

DiscreteStep FrozenLake::step_state(int action) {
    const auto& li = (*model_)[s_][action];
    // Gymnasium's categorical_sample over the listed outcomes.
    const double u = rng_.uniform();
    double c = 0;
    size_t k = 0;
    for (; k + 1 < li.size(); ++k) {
        c += li[k].prob;
        if (c > u) break;
    }
    const Transition& t = li[k];
    s_ = t.next;
    ++elapsed_;
    trail_.push_back(s_);
    success_ = t.terminated && cell(s_) == 'G';
    // TimeLimit wrapper: truncated once the step budget is used, whatever else happened.
    return {s_, t.reward, t.terminated, elapsed_ >= max_steps_};
}

// [SECTION] Picture

void FrozenLake::render(Image& img) const {
    const int cell = std::clamp(480 / std::max(rows_, cols_), 12, 96);
    img.resize(cols_ * cell, rows_ * cell, {200, 230, 245});
    const int cells = rows_ * cols_;
    const bool coin_taken = s_ >= cells;
    for (int r = 0; r < rows_; ++r)
        for (int c = 0; c < cols_; ++c) {
            const int x0 = c * cell, y0 = r * cell;
            const char L = map_[r][c];
            Rgb fill = L == 'H' ? Rgb{24, 52, 98} : L == 'G' ? Rgb{90, 190, 90} : L == 'S' ? Rgb{225, 240, 250}
                                                                                        : Rgb{196, 226, 244};
            img.fill_rect(x0, y0, x0 + cell, y0 + cell, fill);
            if (L == 'H') img.fill_circle(x0 + cell * 0.5, y0 + cell * 0.5, cell * 0.32, {10, 30, 70});
            if (L == 'G') {  // a flag
                img.line(x0 + cell * 0.35, y0 + cell * 0.2, x0 + cell * 0.35, y0 + cell * 0.82, std::max(2, cell / 16),
                         {60, 60, 60});
                for (int k = 0; k < cell / 4; ++k)
                    img.line(x0 + cell * 0.37, y0 + cell * 0.2 + k, x0 + cell * (0.72 - 0.35 * k / (cell / 4.0)),
                             y0 + cell * 0.2 + k, 1.2, {230, 60, 60});
            }
            if (L == 'C' && !coin_taken) {
                img.fill_circle(x0 + cell * 0.5, y0 + cell * 0.5, cell * 0.22, {200, 150, 20});
                img.fill_circle(x0 + cell * 0.5, y0 + cell * 0.5, cell * 0.16, {250, 205, 50});
            }
            img.rect_outline(x0, y0, x0 + cell, y0 + cell, 1, {150, 180, 200});
        }
    // The current episode's trail through cell centres.
    auto centre = [&](int s, double& x, double& y) {
        const int c = s % cells;
        x = (c % cols_ + 0.5) * cell;
        y = (c / cols_ + 0.5) * cell;
    };
    for (size_t i = 1; i < trail_.size(); ++i) {
        double x0, y0, x1, y1;
        centre(trail_[i - 1], x0, y0);
        centre(trail_[i], x1, y1);
        img.line(x0, y0, x1, y1, std::max(2.0, cell / 14.0), {240, 140, 40});
    }
    double ax, ay;
    centre(s_, ax, ay);
    img.fill_circle(ax, ay, cell * 0.27, {40, 40, 40});
    img.fill_circle(ax, ay, cell * 0.22, {235, 90, 40});
}

void FrozenLake::io_state(StateIO& io) {
    io.section("FrozenLake");
    io(rng_, s_, elapsed_, success_, trail_);
    if (io.loading() && (s_ < 0 || s_ >= num_states())) io.fail("state " + std::to_string(s_) + " outside this lake's " + std::to_string(num_states()));
}

}  // namespace dl
