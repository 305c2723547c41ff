// Insides: what an algorithm shows of its workings, drawn by the GUI as layers on the environment and value views
// (the TD errors of the last updates, visit counts, eligibility traces, Dyna-Q's simulated transitions, value
// iteration's Bellman backup, DQN's replay sampling, PPO's GAE along the rollout's path). An algorithm hands them
// out through RunContext::on_insides; each layer says in one line what it shows. Nothing here changes learning:
// the recorders below only watch.
//
// [SECTION] Layers     — the published picture: cells, arrows, a path, points, a histogram, a backup
// [SECTION] Recorders  — the small mechanics algorithms keep to fill them (TD-error window, visit counts)
// [SECTION] Backup     — one Bellman optimality backup of a state, term by term
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "envs/env.h"

namespace dl {

// [SECTION] Layers

struct InsideLayer {
    enum class Kind {
        Cells,      // one number per state of a tabular env (a heat on the grid): `values`
        Arrows,     // transitions s —a→ s′ with a weight (drawn as arrows on the grid): `arrows`
        Path,       // a trajectory in order, each step with its numbers (on the grid or the state plane): `path`
        Points,     // observations with a number each (dots on the state plane): `points` (n × dim), `values`
        Histogram,  // counts per bin; bin i covers [edges[i], edges[i+1]): `values`, `edges`
        Backup,     // value iteration: the V a sweep backed up from and γ (bellman_backup draws any cell): `v_from`
    };
    Kind kind = Kind::Cells;
    std::string id;       // stable name ("td_error"): the GUI remembers the user's choice by it
    std::string title;    // on the toggle ("TD error")
    std::string help;     // one line: what it shows
    std::string note;     // a figure about it ("320 updates", "12,800 samples drawn")
    std::vector<std::pair<std::string, double>> figures;  // the same as numbers, named ("drawn", 12800)
    double figure(std::string_view name) const;           // NaN if absent
    bool signed_values = false;  // values around 0 (diverging colours)

    std::vector<double> values;

    struct Arrow {
        int s = 0, a = 0, s2 = 0;
        double weight = 1;  // drawn stronger for larger |weight|
    };
    std::vector<Arrow> arrows;

    struct Step {
        int s = -1;               // the state on a tabular env (-1: none)
        int a = 0;                // the action taken there
        double reward = 0, value = 0;  // r_t and V(s_t)
        double delta = 0, adv = 0;     // δ_t = r_t + γ V(s_{t+1}) (1 − done) − V(s_t), and A_t (GAE)
        double ratio = 1;              // π_new(a|s) / π_old(a|s) at the last epoch's pass (PPO)
        bool start = false;            // an episode began here
        bool clipped = false;          // the clipped objective gave this sample no gradient
        double weight = 0;             // a path of traces: e(s_t, a_t)
    };
    std::vector<Step> path;
    std::vector<float> points;  // Path and Points: observation rows (dim floats per step or point)
    int dim = 0;

    std::vector<double> edges;  // Histogram: values.size() + 1 bin edges
    std::string x_label;        // Histogram: what the bins count

    std::vector<double> v_from;  // Backup: the V the last sweep read (empty before the first sweep)
    double gamma = 0;
};

// Every layer id an algorithm publishes, with its title (lessons name them: overlays = ["traces"]).
const std::vector<std::pair<std::string, std::string>>& inside_layer_ids();

struct Insides {
    std::vector<InsideLayer> layers;
    const InsideLayer* find(std::string_view id) const;
    size_t footprint() const;  // bytes held (the timeline's budget counts them)
};

// [SECTION] Recorders

// Per-state |TD error| over a window of the last `window` updates (a ring; O(1) per update): where learning is
// still surprised. The average is made when asked for (a snapshot), not kept as a running sum that drifts.
class TdErrorWindow {
public:
    explicit TdErrorWindow(int num_states, int window = 2000);
    void add(int s, double td_error) {
        ring_[size_t(pos_)] = {s, td_error < 0 ? -td_error : td_error};
        pos_ = (pos_ + 1) % int(ring_.size());
        if (size_ < int(ring_.size())) ++size_;
    }
    // Mean |δ| per state over the window (NaN where the window holds none of its updates), and the count.
    std::vector<double> mean_abs() const;
    int size() const { return size_; }
    InsideLayer layer() const;  // "td_error"

private:
    struct Entry {
        int s;
        double abs_td;
    };
    int num_states_;
    std::vector<Entry> ring_;
    int pos_ = 0, size_ = 0;
};

// How often each state was visited (every env step, the state it was taken from).
struct VisitCounts {
    std::vector<double> count;
    explicit VisitCounts(int num_states) : count(size_t(num_states), 0.0) {}
    void add(int s) { count[size_t(s)] += 1; }
    InsideLayer layer() const;  // "visits"
};

// The state of a tabular env behind a one-hot observation (the deep learners' view of the lake): the index of its
// 1, or -1 when obs is not one-hot over num_states entries.
int state_of_one_hot(const float* obs, int dim, int num_states);

// [SECTION] Backup

// V_new(s) = max_a Σ_{s′} p(s′|s,a) [r + γ (1 − terminated) V(s′)], with every term: the CS188 gridworld's
// "-v" backup made visible. Sums in the model's order, so q and v equal value iteration's to the bit.
struct BellmanBackup {
    struct Term {
        int s2 = 0;
        double p = 0, r = 0, v_next = 0;  // v_next: V(s′), 0 past a terminal step
        bool terminated = false;
        double value = 0;                 // p · (r + γ v_next)
    };
    struct Action {
        std::vector<Term> terms;
        double q = 0;                     // Σ terms
    };
    int s = 0;
    double gamma = 0;
    std::vector<Action> actions;
    int best = 0;                         // the first action with the largest q
    double v = 0;                         // max_a q
};
BellmanBackup bellman_backup(const TabularModel& P, const std::vector<double>& V, double gamma, int s);

}  // namespace dl
