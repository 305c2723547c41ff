// Concept panel for the lecture on gradient estimators (core/grad_estimators.h): on a Gaussian problem
// E_{x~N(μ,σ²)}[f(x)] and a categorical one E_{z~softmax(θ)}[v_z], thousands of independent gradient estimates per
// estimator drawn as histograms on one shared axis, the true gradient as a white line, and their variance as the
// sample size M (and, for Gumbel-softmax, the temperature τ) changes. Everything is exact or measured here, live.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <future>
#include <vector>

#include "app/gui/gui.h"
#include "core/nn/grad_estimators.h"
#include "render/plot.h"

namespace dl {

namespace {

using grad::Estimator;

struct Settings {
    int problem = 0;  // 0 Gaussian, 1 categorical
    int fn = 0;       // GaussianProblem::Fn
    float mu = 0.5f, sigma = 1.0f, c = 1.0f;
    int M = 1;
    float tau = 0.5f;
    int k = 1;
    int seed = 1;
    bool operator==(const Settings&) const = default;
};

struct Result {
    Estimator est;
    std::vector<double> samples;
    grad::Summary sum;
};

struct State {
    Settings s;
    bool have = false, have_curves = false;
    Settings curves_for;
    double truth = 0;
    std::vector<Result> results;
    double lo = 0, hi = 1;  // the histograms' shared x range
    // Variance against the sample size (one series per estimator), and Gumbel-softmax against τ.
    std::vector<double> ms;
    std::vector<std::vector<double>> var_vs_m;
    std::vector<double> taus, gs_var, gs_bias2;
};

constexpr int kEstimates = 2000;  // histogram samples per estimator
const ImU32 kColors[3] = {IM_COL32(255, 120, 90, 255), IM_COL32(255, 200, 80, 255), IM_COL32(110, 200, 255, 255)};

grad::GaussianProblem gaussian(const Settings& s) {
    grad::GaussianProblem p;
    p.fn = grad::GaussianProblem::Fn(s.fn), p.mu = s.mu, p.sigma = s.sigma, p.c = s.c;
    return p;
}
grad::CategoricalProblem categorical(const Settings& s) {
    grad::CategoricalProblem p;
    p.k = s.k, p.tau = s.tau;
    return p;
}
std::vector<Estimator> estimators(const Settings& s) {
    if (s.problem == 0) return {Estimator::Score, Estimator::Baseline, Estimator::Pathwise};
    return {Estimator::Score, Estimator::Baseline, Estimator::GumbelSoftmax};
}
std::vector<double> run(const Settings& s, Estimator e, int M, int R, Rng& rng) {
    return s.problem == 0 ? grad::estimates(gaussian(s), e, M, R, rng) : grad::estimates(categorical(s), e, M, R, rng);
}

// Runs on a worker thread (std::async): at M = 1000 a recomputation is millions of samples, and the UI never waits.
State recompute(State st) {
    const Settings& s = st.s;
    Rng rng(uint64_t(s.seed));
    st.truth = s.problem == 0 ? gaussian(s).true_gradient() : categorical(s).true_gradient();
    st.results.clear();
    std::vector<double> pooled;
    for (Estimator e : estimators(s)) {
        Result r{e, run(s, e, s.M, kEstimates, rng), {}};
        r.sum = grad::summarize(r.samples, st.truth);
        pooled.insert(pooled.end(), r.samples.begin(), r.samples.end());
        st.results.push_back(std::move(r));
    }
    // One axis for all: the pooled 0.5% and 99.5% quantiles, widened to hold the true gradient.
    std::sort(pooled.begin(), pooled.end());
    st.lo = std::min(pooled[pooled.size() / 200], st.truth), st.hi = std::max(pooled[pooled.size() - 1 - pooled.size() / 200], st.truth);
    const double pad = std::max(1e-6, (st.hi - st.lo) * 0.08);
    st.lo -= pad, st.hi += pad;
    st.have = true;

    // The curves do not depend on M: recomputed only when the problem changes.
    Settings key = s;
    key.M = 1;
    if (!st.have_curves || !(st.curves_for == key)) {
        st.ms = {1, 2, 5, 10, 20, 50, 100, 200, 500, 1000};
        st.var_vs_m.assign(3, {});
        const auto es = estimators(s);
        for (size_t i = 0; i < es.size(); ++i)
            for (double m : st.ms) st.var_vs_m[i].push_back(grad::summarize(run(s, es[i], int(m), 300, rng), st.truth).variance);
        st.taus.clear(), st.gs_var.clear(), st.gs_bias2.clear();
        if (s.problem == 1)
            for (int i = 0; i <= 16; ++i) {
                Settings t = s;
                t.tau = float(0.05 * std::pow(100.0, i / 16.0));  // 0.05 … 5
                const grad::Summary g = grad::summarize(run(t, Estimator::GumbelSoftmax, 1, 20000, rng), st.truth);
                st.taus.push_back(t.tau), st.gs_var.push_back(g.variance), st.gs_bias2.push_back(g.bias * g.bias);
            }
        st.curves_for = key, st.have_curves = true;
    }
    return st;
}

// A histogram of one estimator's estimates on the shared axis, with the true gradient (white) and their mean.
void histogram(const State& st, const Result& r, ImU32 color, ImVec2 size) {
    const int bins = 48;
    std::vector<int> count(bins, 0);
    int outside = 0;
    for (double v : r.samples) {
        const int b = int(std::floor((v - st.lo) / (st.hi - st.lo) * bins));
        if (b < 0 || b >= bins) ++outside;
        else ++count[size_t(b)];
    }
    const int top = std::max(1, *std::max_element(count.begin(), count.end()));
    const float fs = ImGui::GetFontSize();
    ImGui::BeginGroup();
    ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(color), "%s", grad::name(r.est));
    const ImVec2 o = ImGui::GetCursorScreenPos();
    ImGui::Dummy(size);
    const bool hovered = ImGui::IsItemHovered();
    ImDrawList* dl = ImGui::GetWindowDrawList();
    dl->AddRectFilled(o, ImVec2(o.x + size.x, o.y + size.y), IM_COL32(24, 26, 32, 255));
    auto X = [&](double v) { return float(o.x + (v - st.lo) / (st.hi - st.lo) * size.x); };
    const ImU32 fill = (color & ~IM_COL32_A_MASK) | (ImU32(150) << IM_COL32_A_SHIFT);
    for (int b = 0; b < bins; ++b) {
        const float h = size.y * 0.92f * float(count[size_t(b)]) / float(top);
        dl->AddRectFilled(ImVec2(o.x + size.x * b / bins + 0.5f, o.y + size.y - h), ImVec2(o.x + size.x * (b + 1) / bins - 0.5f, o.y + size.y), fill);
    }
    dl->AddLine(ImVec2(X(st.truth), o.y), ImVec2(X(st.truth), o.y + size.y), IM_COL32(255, 255, 255, 230), 2.0f);
    if (r.sum.mean >= st.lo && r.sum.mean <= st.hi)
        for (float y = o.y; y < o.y + size.y; y += 6) dl->AddLine(ImVec2(X(r.sum.mean), y), ImVec2(X(r.sum.mean), y + 3), color, 2.0f);
    // The axis: its ends and the true gradient.
    char buf[32];
    for (double v : {st.lo, st.hi}) {
        std::snprintf(buf, sizeof buf, "%.3g", v);
        const float tw = ImGui::CalcTextSize(buf).x;
        dl->AddText(ImVec2(std::clamp(X(v) - tw / 2, o.x, o.x + size.x - tw), o.y + size.y + 1), IM_COL32(170, 175, 185, 255), buf);
    }
    ImGui::Dummy(ImVec2(size.x, fs));
    if (hovered) {
        const double v = st.lo + (ImGui::GetIO().MousePos.x - o.x) / size.x * (st.hi - st.lo);
        const int b = std::clamp(int((v - st.lo) / (st.hi - st.lo) * bins), 0, bins - 1);
        ImGui::SetTooltip("estimate %.4g: %d of %d estimates in this bin", v, count[size_t(b)], kEstimates);
    }
    ImGui::Text("mean %+.4f  bias %+.4f", r.sum.mean, r.sum.bias);
    ImGui::Text("variance %.4g  (std %.3g)", r.sum.variance, std::sqrt(r.sum.variance));
    if (outside) ImGui::TextDisabled("%d estimates beyond the axis", outside);
    else ImGui::TextDisabled(" ");
    ImGui::EndGroup();
}

}  // namespace

// What the concept panel remembers between frames (App holds it opaquely).
struct GradPanelState {
    State drawn;                        // what is drawn
    Settings settings = drawn.s;        // what the controls say
    std::future<State> pending;         // a recomputation under way
    std::vector<double> floor;          // the bias² noise floor curve
};

void panel_grad_estimators(App& app) {
    if (!app.grad_panel) app.grad_panel = std::make_shared<GradPanelState>();
    GradPanelState& gp = *app.grad_panel;
    State& st = gp.drawn;
    Settings& s = gp.settings;
    std::future<State>& pending = gp.pending;
    const float fs = ImGui::GetFontSize();
    if (ImGui::Button("Back to the lab")) app.view = App::View::Lab;
    ImGui::SameLine();
    ImGui::TextDisabled("Concept: how a policy gradient is estimated from samples, and what each estimator costs in bias and variance");

    // --- the problem and the estimators' settings ---
    ImGui::RadioButton("Gaussian  x ~ N(μ, σ²),  ∇μ E[f(x)]", &s.problem, 0);
    ImGui::SameLine();
    ImGui::RadioButton("Categorical  z ~ softmax(θ),  ∂E[v_z]/∂θ_k", &s.problem, 1);
    ImGui::PushItemWidth(fs * 9);
    if (s.problem == 0) {
        ImGui::Combo("f(x)", &s.fn, "(x - c)^2\0sin(3x)\0step 1[x > c]\0");
        ImGui::SameLine();
        ImGui::SliderFloat("μ", &s.mu, -2.0f, 2.0f, "%.2f");
        ImGui::SameLine();
        ImGui::SliderFloat("σ", &s.sigma, 0.1f, 2.0f, "%.2f");
        ImGui::SameLine();
        ImGui::SliderFloat("c", &s.c, -2.0f, 2.0f, "%.2f");
    } else {
        const grad::CategoricalProblem p = categorical(s);
        ImGui::SliderInt("k", &s.k, 0, int(p.logits.size()) - 1);
        ImGui::SameLine();
        ImGui::SliderFloat("temperature τ", &s.tau, 0.05f, 5.0f, "%.3f", ImGuiSliderFlags_Logarithmic);
        ImGui::SameLine();
        const auto pr = p.probs();
        ImGui::TextDisabled("θ = (0.5, 0, -0.5, 0.2)  p = (%.2f, %.2f, %.2f, %.2f)  v = (1, 3, 0, 2)", pr[0], pr[1], pr[2], pr[3]);
    }
    ImGui::SliderInt("samples per estimate M", &s.M, 1, 1000, "%d", ImGuiSliderFlags_Logarithmic);
    ImGui::SameLine();
    ImGui::InputInt("seed", &s.seed);
    ImGui::PopItemWidth();
    s.seed = std::max(0, s.seed), s.M = std::clamp(s.M, 1, 1000);
    if (pending.valid() && pending.wait_for(std::chrono::seconds(0)) == std::future_status::ready) st = pending.get();
    if (!pending.valid() && (!st.have || !(st.s == s))) {  // a setting changed: compute it in the background
        State next = st;
        next.s = s;
        pending = std::async(std::launch::async, recompute, std::move(next));
    }
    if (!st.have) {
        ImGui::TextDisabled("computing…");
        return;
    }
    // Below: what was computed (st.s), which may lag the controls by a frame or two.
    ImGui::Text("true gradient %+.4f", st.truth);
    ImGui::SameLine();
    ImGui::TextDisabled("| each histogram: %d independent estimates, each the mean of M = %d samples; white: the true gradient, "
                        "dashed: the estimates' mean",
                        kEstimates, st.s.M);

    // --- histograms, one per estimator, on one axis ---
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    const float hw = (avail.x - 2 * ImGui::GetStyle().ItemSpacing.x) / 3, hh = std::max(fs * 5, avail.y * 0.36f);
    for (size_t i = 0; i < st.results.size(); ++i) {
        if (i) ImGui::SameLine();
        histogram(st, st.results[i], kColors[i], ImVec2(hw, hh));
    }
    const char* formulas[2][3] = {{"f(x) (x - μ) / σ²", "(f(x) - E[f]) (x - μ) / σ²", "f'(μ + σ ε),  ε ~ N(0, 1)"},
                                  {"v_z (1[z = k] - p_k)", "(v_z - E[v]) (1[z = k] - p_k)", "y_k (v_k - Σ y_j v_j) / τ,  y = softmax((θ + g) / τ)"}};
    for (int i = 0; i < 3; ++i) {
        if (i) ImGui::SameLine(ImGui::GetCursorPosX() + (hw + ImGui::GetStyle().ItemSpacing.x) * i);
        ImGui::TextDisabled("%s", formulas[st.s.problem][i]);
    }

    // --- variance against M (log-log: every unbiased estimator falls as 1/M), and Gumbel-softmax against τ ---
    const ImVec2 rest = ImGui::GetContentRegionAvail();
    const bool two = st.s.problem == 1;
    const float pw = two ? (rest.x - ImGui::GetStyle().ItemSpacing.x) / 2 : rest.x;
    std::vector<PlotSeries> series;
    for (size_t i = 0; i < st.results.size() && i < st.var_vs_m.size(); ++i)
        series.push_back({grad::name(st.results[i].est), kColors[i], st.ms, st.var_vs_m[i], {}, {}, false});
    PlotOptions opt;
    opt.size = ImVec2(pw, std::max(fs * 8, rest.y));
    opt.log_x = opt.log_y = true;
    opt.x_label = "M";
    opt.markers.push_back({double(st.s.M), "M = " + std::to_string(st.s.M)});
    plot("Variance of one estimate vs samples per estimate M", series, opt);
    if (two) {
        ImGui::SameLine();
        PlotOptions o2 = opt;
        o2.x_label = "τ";
        o2.markers = {{double(st.s.tau), "τ"}};
        char label[64];
        std::snprintf(label, sizeof label, "Gumbel-softmax at M = 1 vs temperature");
        // The bias is measured from 20 000 samples: below variance / 20 000 its square is sampling noise.
        std::vector<double>& floor = gp.floor;
        floor.resize(st.gs_var.size());
        for (size_t i = 0; i < floor.size(); ++i) floor[i] = st.gs_var[i] / 20000;
        plot(label,
             {{"variance", kColors[2], st.taus, st.gs_var, {}, {}, false},
              {"bias²", IM_COL32(230, 230, 230, 255), st.taus, st.gs_bias2, {}, {}, false},
              {"noise floor of bias² (variance / 20000)", IM_COL32(120, 120, 130, 255), st.taus, floor, {}, {}, false}},
             o2);
    }
}

}  // namespace dl
