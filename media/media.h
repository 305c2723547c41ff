// Pictures and videos out of Dreamlab: PNG via stb_image_write, MP4 (H.264) via libavcodec/libavformat.
// Both are written under a temporary name and renamed into place, so a crash never leaves a broken file
// under the final name.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/image.h"

namespace dl {

// Writes tightly packed RGB8 rows (top row first) as PNG; throws IoError on failure.
void write_png(const std::string& path, int width, int height, const uint8_t* rgb);
inline void write_png(const std::string& path, const Image& img) { write_png(path, img.width(), img.height(), img.data()); }

// A video at a fixed frame rate: MP4 (H.264) or, for a path ending in .gif, an animated GIF (one 256-colour
// palette fitted to the first frame, so flat UI colours stay exact). Frames must all have the size given at open;
// MP4 crops odd sizes by one pixel (YUV 4:2:0 needs even dimensions). Same frames in, same bytes out.
class VideoWriter {
public:
    VideoWriter();
    ~VideoWriter();  // finishes the file if still open
    VideoWriter(const VideoWriter&) = delete;
    VideoWriter& operator=(const VideoWriter&) = delete;

    void open(const std::string& path, int width, int height, int fps);  // throws IoError
    // rgb: width*height*3 bytes; bottom_up = rows stored bottom first (as glReadPixels returns them).
    void add_frame(const uint8_t* rgb, bool bottom_up = false);
    void close();  // flushes the encoder, writes the trailer, flushes to disk and renames into place
    void abort();  // discards what was written (Ctrl-C): no file appears under the final name
    bool is_open() const;
    int64_t frames() const;
    const std::string& path() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// Decodes a video file completely; returns the number of frames decoded and its size (for tests and
// `--record` checks). Throws IoError if it cannot be opened or decoded.
struct VideoInfo {
    int64_t frames = 0;
    int width = 0, height = 0;
    std::string codec;
    double fps = 0;                     // the stream's frame rate
    double duration_s = 0;              // the container's duration
    std::vector<uint64_t> frame_hashes; // FNV-1a of each decoded picture's planes (two files, same pictures?)
};
VideoInfo probe_video(const std::string& path);

}  // namespace dl
