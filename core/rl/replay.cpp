#include "core/rl/replay.h"

#include <algorithm>
#include <bit>
#include <cstdio>
#include <stdexcept>

namespace dl::nn {

// [SECTION] Transitions

TransitionBuffer::TransitionBuffer(int obs_dim, int act_dim, int64_t capacity)
    : D_(obs_dim), A_(act_dim), cap_(capacity), obs_(capacity, obs_dim), act_(capacity, act_dim), next_(capacity, obs_dim),
      rew_(static_cast<size_t>(capacity)), not_done_(static_cast<size_t>(capacity)), discount_(static_cast<size_t>(capacity)) {
    reset_stats();
}

// The stored transitions count as added in storage order, none sampled yet.
void TransitionBuffer::reset_stats() {
    stats_ = SampleStats{};
    stats_.times_sampled.assign(size_t(cap_), 0), stats_.stored_at.assign(size_t(cap_), 0), stats_.age_bins.assign(64, 0);
    for (int64_t i = 0; i < size_; ++i) stats_.stored_at[size_t(slot(i))] = i;
    stats_.added = size_;
}

void TransitionBuffer::add(const float* obs, const float* action, float reward, const float* next_obs, bool terminated,
                           float discount) {
    obs_.row(pos_) = Eigen::Map<const Mat>(obs, 1, D_);
    act_.row(pos_) = Eigen::Map<const Mat>(action, 1, A_);
    next_.row(pos_) = Eigen::Map<const Mat>(next_obs, 1, D_);
    rew_[size_t(pos_)] = reward, not_done_[size_t(pos_)] = terminated ? 0.0f : 1.0f, discount_[size_t(pos_)] = discount;
    stats_.drawn_evicted += stats_.times_sampled[size_t(pos_)];
    stats_.times_sampled[size_t(pos_)] = 0, stats_.stored_at[size_t(pos_)] = stats_.added++;
    pos_ = (pos_ + 1) % cap_;
    size_ = std::min(size_ + 1, cap_);
}

void TransitionBuffer::sample(int B, Rng& rng, Batch& out) {
    out.obs.resize(B, D_), out.action.resize(B, A_), out.next_obs.resize(B, D_), out.reward.resize(B, 1), out.not_done.resize(B, 1), out.discount.resize(B, 1);
    for (int j = 0; j < B; ++j) {
        const int64_t k = int64_t(rng.below(uint32_t(size_)));
        out.obs.row(j) = obs_.row(k), out.action.row(j) = act_.row(k), out.next_obs.row(j) = next_.row(k);
        out.reward(j, 0) = rew_[size_t(k)], out.not_done(j, 0) = not_done_[size_t(k)], out.discount(j, 0) = discount_[size_t(k)];
        ++stats_.times_sampled[size_t(k)];
        const uint64_t age = uint64_t(stats_.added - 1 - stats_.stored_at[size_t(k)]);
        ++stats_.age_bins[size_t(std::bit_width(age))];
    }
    stats_.drawn += B;
}

std::vector<InsideLayer> replay_layers(const TransitionBuffer& buf, int num_states, int max_points) {
    const TransitionBuffer::SampleStats& st = buf.sample_stats();
    std::vector<InsideLayer> out;
    char note[160];
    std::snprintf(note, sizeof note, "%lld samples drawn: %lld from the %lld stored, %lld from overwritten ones",
                  (long long)st.drawn, (long long)(st.drawn - st.drawn_evicted), (long long)buf.size(),
                  (long long)st.drawn_evicted);
    const std::vector<std::pair<std::string, double>> figures = {
        {"drawn", double(st.drawn)}, {"drawn_evicted", double(st.drawn_evicted)}, {"stored", double(buf.size())}};
    const int D = buf.obs_dim();
    if (num_states > 0 && D == num_states) {  // a tabular env seen one-hot: samples per state cell
        InsideLayer heat;
        heat.kind = InsideLayer::Kind::Cells;
        heat.id = "replay_heat", heat.title = "Replay samples";
        heat.help = "how often the stored transitions from each state were sampled for updates: what the network trains on";
        heat.values.assign(size_t(num_states), 0.0);
        for (int64_t i = 0; i < buf.size(); ++i) {
            const int64_t k = buf.slot(i);
            const int s = state_of_one_hot(buf.obs_row(k), D, num_states);
            if (s >= 0) heat.values[size_t(s)] += double(st.times_sampled[size_t(k)]);
        }
        heat.note = note, heat.figures = figures;
        out.push_back(std::move(heat));
    } else if (D <= 16 && buf.size() > 0) {  // a small state: stored observations as dots, coloured by their samples
        InsideLayer pts;
        pts.kind = InsideLayer::Kind::Points;
        pts.id = "replay_heat", pts.title = "Replay samples";
        pts.help = "stored transitions on the state plane (every k-th), coloured by how often each was sampled";
        pts.dim = D;
        const int64_t stride = std::max<int64_t>(1, (buf.size() + max_points - 1) / max_points);
        for (int64_t i = 0; i < buf.size(); i += stride) {
            const int64_t k = buf.slot(i);
            pts.points.insert(pts.points.end(), buf.obs_row(k), buf.obs_row(k) + D);
            pts.values.push_back(double(st.times_sampled[size_t(k)]));
        }
        pts.note = note, pts.figures = figures;
        out.push_back(std::move(pts));
    }
    InsideLayer ages;
    ages.kind = InsideLayer::Kind::Histogram;
    ages.id = "replay_age", ages.title = "Sample ages";
    ages.help = "how old the sampled transitions were, in transitions stored since (log scale): uniform replay favours none";
    ages.x_label = "age (transitions stored since)";
    size_t last = 0;
    for (size_t i = 0; i < st.age_bins.size(); ++i)
        if (st.age_bins[i]) last = i;
    for (size_t i = 0; i <= last; ++i) {
        ages.edges.push_back(i == 0 ? 0.0 : double(uint64_t(1) << (i - 1)));
        ages.values.push_back(double(st.age_bins[i]));
    }
    ages.edges.push_back(double(uint64_t(1) << last));
    ages.note = note, ages.figures = figures;
    out.push_back(std::move(ages));
    return out;
}

// [SECTION] Sequence buffer

// Only the filled part is saved: rows [0, size) (a ring fills from row 0 and stays full once it wraps).
template <class M>
static void io_rows(StateIO& io, M& m, int64_t rows) {
    if (rows) io.bytes(m.data(), size_t(rows) * size_t(m.cols()) * sizeof(float));
}
template <class T>
static void io_prefix(StateIO& io, std::vector<T>& v, int64_t n) {
    if (n) io.bytes(v.data(), size_t(n) * sizeof(T));
}
static void io_ring(StateIO& io, const char* name, int64_t cap, int64_t& size, int64_t& pos) {
    io.section(name);
    int64_t c = cap;
    io(c, size, pos);
    if (io.loading() && (c != cap || size < 0 || size > cap || pos < 0 || pos >= cap || (size < cap && pos != size)))
        io.fail(std::string(name) + " of capacity " + std::to_string(c) + ", size " + std::to_string(size) + " at " +
                std::to_string(pos) + " where this run's holds " + std::to_string(cap));
}

void TransitionBuffer::io_state(StateIO& io) {
    io_ring(io, "transitions", cap_, size_, pos_);
    io_rows(io, obs_, size_), io_rows(io, act_, size_), io_rows(io, next_, size_);
    io_prefix(io, rew_, size_), io_prefix(io, not_done_, size_), io_prefix(io, discount_, size_);
    if (io.loading()) reset_stats();  // the sampling counts start afresh
}

void SequenceBuffer::io_state(StateIO& io) {
    io_ring(io, "sequences", cap_, size_, pos_);
    io_prefix(io, obs_, size_ * dim_), io_prefix(io, reward_, size_), io_prefix(io, cont_, size_);
    io_prefix(io, first_, size_), io_prefix(io, action_, size_);
}

SequenceBuffer::SequenceBuffer(int obs_dim, int64_t capacity)
    : dim_(obs_dim), cap_(capacity), obs_(size_t(capacity * obs_dim)), reward_(size_t(capacity)), cont_(size_t(capacity)),
      first_(size_t(capacity)), action_(size_t(capacity)) {}

void SequenceBuffer::add(const float* obs, int prev_action, float reward, bool terminated, bool first) {
    std::copy_n(obs, dim_, &obs_[size_t(pos_ * dim_)]);
    action_[size_t(pos_)] = prev_action, reward_[size_t(pos_)] = reward;
    cont_[size_t(pos_)] = terminated ? 0.0f : 1.0f, first_[size_t(pos_)] = first ? 1.0f : 0.0f;
    pos_ = (pos_ + 1) % cap_;
    size_ = std::min(size_ + 1, cap_);
}

SeqBatch SequenceBuffer::empty_batch(int B, int L) const {
    SeqBatch s;
    s.L = L, s.B = B;
    s.obs.assign(size_t(L), Mat(B, dim_));
    s.reward.assign(size_t(L), Mat(B, 1));
    s.cont.assign(size_t(L), Mat(B, 1));
    s.first.assign(size_t(L), Mat(B, 1));
    s.prev_action.assign(size_t(L), std::vector<int32_t>(size_t(B)));
    return s;
}

void SequenceBuffer::copy_window(SeqBatch& s, int b, int64_t start) const {
    for (int t = 0; t < s.L; ++t) {
        const int64_t i = (start + t) % cap_;
        std::copy_n(&obs_[size_t(i * dim_)], dim_, s.obs[size_t(t)].row(b).data());
        s.reward[size_t(t)](b, 0) = reward_[size_t(i)], s.cont[size_t(t)](b, 0) = cont_[size_t(i)];
        // A window starts from a fresh state, as an episode does.
        s.first[size_t(t)](b, 0) = t == 0 ? 1.0f : first_[size_t(i)];
        s.prev_action[size_t(t)][size_t(b)] = action_[size_t(i)];
    }
}

SeqBatch SequenceBuffer::sample(int B, int L, Rng& rng) const {
    if (size_ < L) throw std::invalid_argument("SequenceBuffer: " + std::to_string(size_) + " steps, a window needs " + std::to_string(L));
    SeqBatch s = empty_batch(B, L);
    const int64_t oldest = size_ < cap_ ? 0 : pos_;
    for (int b = 0; b < B; ++b) copy_window(s, b, oldest + int64_t(rng.below(uint32_t(size_ - L + 1))));
    return s;
}

SeqBatch SequenceBuffer::last(int L) const {
    L = int(std::min<int64_t>(L, size_));
    SeqBatch s = empty_batch(1, L);
    copy_window(s, 0, pos_ - L + cap_);
    return s;
}

SeqBatch SequenceBuffer::sample_within_episodes(int B, int L, Rng& rng) const {
    // The starts of windows (counted from the oldest step) with no episode start after their first step.
    const int64_t oldest = size_ < cap_ ? 0 : pos_;
    std::vector<int64_t> ok;
    int64_t run = 0;  // steps since the last episode start, walking oldest → newest
    for (int64_t k = 0; k < size_; ++k) {
        run = first_[size_t((oldest + k) % cap_)] > 0 ? 1 : run + 1;
        if (run >= L) ok.push_back(k - L + 1);
    }
    if (ok.empty()) throw std::invalid_argument("SequenceBuffer: no episode of " + std::to_string(L) + " steps to sample");
    SeqBatch s = empty_batch(B, L);
    for (int b = 0; b < B; ++b) copy_window(s, b, oldest + ok[rng.below(uint32_t(ok.size()))]);
    return s;
}

SequenceBuffer record_experience(Env& env, int64_t steps, const std::function<int(const float* obs, Rng& rng)>& policy,
                                 uint64_t seed) {
    const int D = env.obs_dim();
    SequenceBuffer buf(D, steps);
    Rng rng(seed);
    std::vector<float> obs(size_t(D), 0.0f);
    env.reset_into(seed, obs.data());
    buf.add(obs.data(), -1, 0, false, true);
    for (int64_t i = 1; i < steps; ++i) {
        const int a = policy(obs.data(), rng);
        const StepFlags f = env.step_into(a, obs.data());
        buf.add(obs.data(), a, float(f.reward), f.terminated, false);
        if ((f.terminated || f.truncated) && i + 1 < steps) {
            env.reset_into(std::nullopt, obs.data());
            buf.add(obs.data(), -1, 0, false, true), ++i;
        }
    }
    return buf;
}

}  // namespace dl::nn
