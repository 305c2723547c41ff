// Plot — our line-plot widget over ImDrawList (ImPlot is not packaged for Debian).
// Axes with "nice" ticks, a legend, EMA smoothing (raw drawn faint, smoothed bold), a hover readout, any
// number of series, optional mean ± band, vertical event markers (hyperparameter changes), log-scale x and y,
// and per-pixel min/max decimation so 10⁵ points cost no more than the plot's width.
#pragma once
#include <cmath>
#include <span>
#include <string>
#include <vector>

#include <imgui.h>

namespace dl {

// Views of data the caller keeps (plots are drawn every frame; copying 10⁵ points each time would not do).
struct PlotSeries {
    std::string label;
    ImU32 color = IM_COL32(80, 160, 255, 255);
    std::span<const double> x, y;   // x ascending
    std::span<const double> lo, hi; // optional band (same length as x): drawn as a translucent area
    bool smooth = true;             // apply the plot's EMA (raw drawn faint underneath)
};

struct PlotMarker {
    double x;
    std::string text;
    ImU32 color = IM_COL32(255, 200, 60, 200);
};

struct PlotOptions {
    ImVec2 size = {0, 180};      // 0 width = fill the available width
    double ema = 0.0;            // smoothing weight in [0, 1): 0 = none, 0.99 = very smooth
    bool log_y = false;
    bool log_x = false;          // x > 0 on a log scale, ticks at the decades
    bool show_raw = true;        // draw unsmoothed values faintly under the EMA
    const char* x_label = "";
    double y_min = NAN, y_max = NAN;  // fixed limits (NAN = automatic)
    std::vector<PlotMarker> markers;
};

// Exponential moving average with TensorBoard's debiasing (the first values are not pulled towards 0).
std::vector<double> ema_smooth(std::span<const double> y, double weight);
void ema_smooth_into(std::span<const double> y, double weight, std::vector<double>& out);  // reuses out's memory
// 1-2-5 tick positions covering [lo, hi] with about `target` ticks.
std::vector<double> nice_ticks(double lo, double hi, int target);

void plot(const char* title, const std::vector<PlotSeries>& series, const PlotOptions& opt);

}  // namespace dl
