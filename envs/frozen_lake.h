// FrozenLake-v1 — Gymnasium's grid world (gymnasium/envs/toy_text/frozen_lake.py), reproduced exactly:
// maps 4x4 and 8x8, actions 0=Left 1=Down 2=Right 3=Up, the slip rule (intended direction with probability
// success_rate, each perpendicular with (1 - success_rate)/2, listed as (a-1)%4, a, (a+1)%4), reward 1 at the
// goal, terminated in a hole or at the goal, truncated by the time limit (100 steps on 4x4, 200 on 8x8).
//
// Dreamlab's additions, all off by default: per-cell rewards (goal, hole, each step), custom maps from rows of
// S F H G text, a seeded random map with a guaranteed path, and a coin cell 'C' worth reward_coin once per
// episode. With a coin on the map a state is (coin taken?, row, col): index = taken * rows*cols + row*cols + col.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "base/params.h"
#include "base/rng.h"
#include "envs/env.h"

namespace dl {

enum Action4 { kLeft = 0, kDown = 1, kRight = 2, kUp = 3 };

struct FrozenLakeArgs : Args<FrozenLakeArgs> {
    std::string map = "4x4";         // "4x4", "8x8", "random", or rows such as "SFFF/FHFH/FFFH/HFFG"
    bool is_slippery = true;         // slip to a perpendicular direction
    double success_rate = 1.0 / 3;   // probability that a slippery move goes where intended
    double reward_goal = 1;          // reward for entering G
    double reward_hole = 0;          // reward for entering H
    double reward_step = 0;          // reward for entering any other cell
    double reward_coin = 1;          // extra reward the first time C is entered in an episode
    int64_t max_episode_steps = 0;   // time limit; 0 = Gymnasium's (100 up to 4x4, else 200)
    int64_t random_size = 8;         // side of a random map
    double random_p = 0.8;           // probability that a random cell is frozen
    int64_t map_seed = 0;            // seed of the random map generator

    void visit(ParamVisitor& v) override {
        v.text("map", map, "4x4, 8x8, random, or rows of S F H G C separated by '/' (e.g. SFFF/FHFH/FFFH/HFFG)",
               Apply::Restart);
        v.flag("is_slippery", is_slippery, "moves can slip to a perpendicular direction", Apply::Restart);
        v.real("success_rate", success_rate, 0, 1, "slippery: probability the intended move happens", Apply::Restart);
        v.real("reward_goal", reward_goal, -100, 100, "reward for reaching the goal G", Apply::Restart);
        v.real("reward_hole", reward_hole, -100, 100, "reward for falling into a hole H", Apply::Restart);
        v.real("reward_step", reward_step, -100, 100, "reward for every other move", Apply::Restart);
        v.real("reward_coin", reward_coin, -100, 100, "bonus for picking up the coin C (once per episode)",
               Apply::Restart);
        v.integer("max_episode_steps", max_episode_steps, 0, 1000000,
                  "time limit (truncation); 0 = 100 for maps up to 16 cells, else 200", Apply::Restart);
        v.integer("random_size", random_size, 2, 32, "map=random: side length", Apply::Restart);
        v.real("random_p", random_p, 0.05, 1, "map=random: probability a cell is frozen", Apply::Restart);
        v.integer("map_seed", map_seed, 0, int64_t(1) << 53, "map=random: seed of the generator", Apply::Restart);
    }
    // An argument that only matters with another one is refused without it, instead of silently ignored.
    void check() const override;
};

// Gymnasium's named maps.
std::vector<std::string> frozen_lake_named_map(const std::string& name);  // empty if unknown
// Parses rows ("SFFF/FHFH/..." or with ',' or ';' or newlines); throws ParamError naming what is wrong.
std::vector<std::string> parse_lake_map(const std::string& text);
// A random size x size map with S top-left, G bottom-right and a guaranteed path (Gymnasium's
// generate_random_map rule: cells frozen with probability p, regenerated until a path exists).
std::vector<std::string> generate_random_lake(int size, double p, uint64_t seed);
// Whether G is reachable from S moving through non-hole cells.
bool lake_has_path(const std::vector<std::string>& rows);

class FrozenLake final : public DiscreteEnv {
public:
    explicit FrozenLake(const FrozenLakeArgs& args);

    std::string id() const override { return "FrozenLake-v1"; }
    int render_fps() const override { return 4; }  // Gymnasium: 4
    int num_states() const override { return layers_ * rows_ * cols_; }
    int num_actions() const override { return 4; }
    int reset_state(std::optional<uint64_t> seed = std::nullopt) override;
    DiscreteStep step_state(int action) override;
    const TabularModel& model() const override { return *model_; }
    GridLayout layout() const override;
    int state() const override { return s_; }
    bool is_terminal(int s) const override;
    std::vector<double> initial_distribution() const override;
    void render(Image& img) const override;
    std::unique_ptr<Env> clone() const override { return std::make_unique<FrozenLake>(*this); }
    void io_state(StateIO& io) override;
    bool defines_success() const override { return true; }
    bool last_success() const override { return success_; }
    std::vector<std::string> action_names() const override { return {"Left", "Down", "Right", "Up"}; }

    const std::vector<std::string>& rows() const { return map_; }
    char cell(int s) const;  // map letter of a state's cell
    int max_episode_steps() const override { return max_steps_; }
    const std::vector<int>& trail() const { return trail_; }

private:
    void build_model();

    FrozenLakeArgs args_;
    std::vector<std::string> map_;
    int rows_ = 0, cols_ = 0, layers_ = 1;
    int max_steps_ = 100;
    std::shared_ptr<const TabularModel> model_;  // immutable, shared by clones
    std::vector<double> init_;
    Rng rng_{0};
    int s_ = 0;
    int elapsed_ = 0;
    bool success_ = false;
    std::vector<int> trail_;  // states visited this episode, for the picture
};

// Applies an action to a (row, col) on an open grid: walls stop the move (Gymnasium's inc()).
void lake_move(int& row, int& col, int action, int rows, int cols);

}  // namespace dl
