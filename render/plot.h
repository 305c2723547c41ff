// Plot — our line-plot widget over ImDrawList (ImPlot is not packaged for Debian).
// Axes with "nice" ticks, a legend, smoothing by a trailing mean (raw drawn faint, the mean bold), a hover readout, any
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
    std::string label;              // "" : no legend entry (a series that an earlier one's entry stands for)
    ImU32 color = IM_COL32(80, 160, 255, 255);
    std::span<const double> x, y;   // x ascending
    std::span<const double> lo, hi; // optional band (same length as x): drawn as a translucent area
    bool smooth = true;             // apply the plot's trailing mean (raw drawn faint underneath)
    size_t first = 0;               // drawn from this point on (a branch, from its branch point: the points before
                                    // are its parent's, drawn by the parent); the smoothing still reads them
};

struct PlotMarker {
    double x;
    std::string text;
    ImU32 color = IM_COL32(255, 200, 60, 200);
};

struct PlotOptions {
    ImVec2 size = {0, 180};      // 0 width = fill the available width
    // The bold line is the mean of the last `window` points (for returns: the last `window` episodes, as
    // Gymnasium's "solved" rule reads them); 1 = no smoothing. A trailing mean never lags a plateau by more than
    // the window, where an EMA of weight 0.98 read 370 after 20k steps at 500.
    int window = 1;
    bool log_y = false;
    bool log_x = false;          // x > 0 on a log scale, ticks at the decades
    bool show_raw = true;        // draw unsmoothed values faintly under the mean
    const char* x_label = "";
    double y_min = NAN, y_max = NAN;  // fixed limits (NAN = automatic)
    std::vector<PlotMarker> markers;
    int shade_a = -1, shade_b = -1;  // the gap between these two series (their smoothed curves) shaded: an A/B pair
    double cursor = NAN;         // a solid vertical line (the timeline's point on show), labelled cursor_label
    std::string cursor_label;
};

// out[i] = the mean of the last `window` finite values among y[0..i] (fewer at the start; NAN before the first).
std::vector<double> trailing_mean(std::span<const double> y, int window);
void trailing_mean_into(std::span<const double> y, int window, std::vector<double>& out);  // reuses out's memory
// 1-2-5 tick positions covering [lo, hi] with about `target` ticks.
std::vector<double> nice_ticks(double lo, double hi, int target);
// Ticks of a log axis, in log10 units over [lo, hi]: the decades, or where fewer than two fall inside (a series
// spanning under a decade), 1-2-5 steps (then every digit) so the axis is never unlabelled.
std::vector<double> log_ticks(double lo, double hi, int target);

void plot(const char* title, const std::vector<PlotSeries>& series, const PlotOptions& opt);

}  // namespace dl
