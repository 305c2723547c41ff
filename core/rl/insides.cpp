#include "core/rl/insides.h"

#include <cmath>

namespace dl {

const InsideLayer* Insides::find(std::string_view id) const {
    for (const InsideLayer& l : layers)
        if (l.id == id) return &l;
    return nullptr;
}

const std::vector<std::pair<std::string, std::string>>& inside_layer_ids() {
    static const std::vector<std::pair<std::string, std::string>> ids = {
        {"td_error", "TD error (tabular learners)"},      {"visits", "visit counts (tabular learners)"},
        {"traces", "eligibility traces (sarsa_lambda)"},  {"simulated", "simulated steps (dyna_q)"},
        {"backup", "Bellman backup (value_iteration)"},   {"change", "change of a sweep (value_iteration)"},
        {"replay_heat", "replay samples (dqn)"},          {"replay_age", "sample ages (dqn)"},
        {"target_lag", "target lag (dqn on a grid)"},     {"gae", "GAE path (ppo, a2c)"},
    };
    return ids;
}

double InsideLayer::figure(std::string_view name) const {
    for (const auto& [k, v] : figures)
        if (k == name) return v;
    return NAN;
}

size_t Insides::footprint() const {
    size_t n = sizeof(Insides);
    for (const InsideLayer& l : layers)
        n += sizeof(InsideLayer) + l.help.size() + l.note.size() + l.title.size() +
             (l.values.size() + l.edges.size() + l.v_from.size()) * sizeof(double) +
             l.arrows.size() * sizeof(InsideLayer::Arrow) + l.path.size() * sizeof(InsideLayer::Step) +
             l.points.size() * sizeof(float);
    return n;
}

TdErrorWindow::TdErrorWindow(int num_states, int window) : num_states_(num_states), ring_(size_t(std::max(1, window))) {}

std::vector<double> TdErrorWindow::mean_abs() const {
    std::vector<double> sum(size_t(num_states_), 0.0), n(size_t(num_states_), 0.0);
    for (int i = 0; i < size_; ++i) {
        const Entry& e = ring_[size_t(i)];
        sum[size_t(e.s)] += e.abs_td, n[size_t(e.s)] += 1;
    }
    for (size_t s = 0; s < sum.size(); ++s) sum[s] = n[s] > 0 ? sum[s] / n[s] : NAN;
    return sum;
}

InsideLayer TdErrorWindow::layer() const {
    InsideLayer l;
    l.kind = InsideLayer::Kind::Cells;
    l.id = "td_error", l.title = "TD error";
    l.help = "mean |TD error| of the last " + std::to_string(ring_.size()) +
             " updates, by the state they updated: where the values are still wrong";
    l.values = mean_abs();
    l.note = std::to_string(size_) + " updates in the window";
    l.figures = {{"updates", double(size_)}};
    return l;
}

InsideLayer VisitCounts::layer() const {
    InsideLayer l;
    l.kind = InsideLayer::Kind::Cells;
    l.id = "visits", l.title = "Visits";
    l.help = "how many steps were taken from each state so far: where the agent has looked";
    l.values = count;
    double total = 0;
    for (double c : count) total += c;
    l.note = std::to_string(int64_t(total)) + " steps";
    l.figures = {{"steps", total}};
    return l;
}

int state_of_one_hot(const float* obs, int dim, int num_states) {
    if (dim != num_states) return -1;
    int hot = -1;
    for (int i = 0; i < dim; ++i) {
        if (obs[i] == 1.0f) {
            if (hot >= 0) return -1;
            hot = i;
        } else if (obs[i] != 0.0f) {
            return -1;
        }
    }
    return hot;
}

BellmanBackup bellman_backup(const TabularModel& P, const std::vector<double>& V, double gamma, int s) {
    BellmanBackup b;
    b.s = s, b.gamma = gamma;
    if (s < 0 || s >= int(P.size())) return b;
    b.actions.resize(P[size_t(s)].size());
    for (size_t a = 0; a < P[size_t(s)].size(); ++a) {
        BellmanBackup::Action& act = b.actions[a];
        for (const Transition& t : P[size_t(s)][a]) {
            BellmanBackup::Term term;
            term.s2 = t.next, term.p = t.prob, term.r = t.reward, term.terminated = t.terminated;
            term.v_next = t.terminated ? 0.0 : V[size_t(t.next)];
            // The same expression as lookahead() (core/rl/tabular.cpp), so the sum is value iteration's to the bit.
            term.value = t.prob * (t.reward + (t.terminated ? 0.0 : gamma * V[size_t(t.next)]));
            act.q += term.value;
            act.terms.push_back(term);
        }
    }
    b.best = 0;
    for (size_t a = 1; a < b.actions.size(); ++a)
        if (b.actions[a].q > b.actions[size_t(b.best)].q) b.best = int(a);
    b.v = b.actions.empty() ? 0.0 : b.actions[size_t(b.best)].q;
    return b;
}

}  // namespace dl
