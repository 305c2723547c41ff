#include "media/media.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <vector>

#include <stb_image_write.h>  // implementation comes from Debian's libstb

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/imgutils.h>
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>
}

#include "base/files.h"

namespace dl {

// [SECTION] PNG

void write_png(const std::string& path, int width, int height, const uint8_t* rgb) {
    std::string bytes;
    auto sink = [](void* ctx, void* data, int size) { static_cast<std::string*>(ctx)->append((const char*)data, size); };
    if (!stbi_write_png_to_func(sink, &bytes, width, height, 3, rgb, width * 3) || bytes.empty())
        throw IoError("cannot encode PNG " + path + " (" + std::to_string(width) + "x" + std::to_string(height) + ")");
    write_file_atomic(path, bytes);
}

// [SECTION] MP4 and GIF

namespace {
std::string av_error(int code) {
    char buf[AV_ERROR_MAX_STRING_SIZE] = {};
    av_strerror(code, buf, sizeof buf);
    return buf;
}

bool ends_with(const std::string& s, const char* tail) {
    const size_t n = std::strlen(tail);
    return s.size() >= n && std::equal(s.end() - long(n), s.end(), tail, [](char a, char b) { return std::tolower(a) == b; });
}

// A GIF's 256 colours: median cut of the first frame (the panels' flat colours and text greys) for 160 entries,
// then a coarse 6×4×4 cube for colours that appear later. Each colour is looked up once (5 bits a channel).
class Palette {
public:
    explicit Palette(const uint8_t* rgb, size_t pixels) {
        std::vector<uint32_t> px;
        px.reserve(pixels / 4 + 1);
        for (size_t i = 0; i < pixels; i += 4) px.push_back(uint32_t(rgb[3 * i]) << 16 | uint32_t(rgb[3 * i + 1]) << 8 | rgb[3 * i + 2]);
        median_cut(px, 0, px.size(), 160);
        for (int r = 0; r < 6; ++r)
            for (int g = 0; g < 4; ++g)
                for (int b = 0; b < 4; ++b) colors_.push_back(uint32_t(r * 51) << 16 | uint32_t(g * 85) << 8 | uint32_t(b * 85));
        colors_.resize(256, 0);
        lut_.assign(32768, -1);
    }
    const std::vector<uint32_t>& colors() const { return colors_; }
    uint8_t index(uint8_t r, uint8_t g, uint8_t b) {
        const int key = (r >> 3) << 10 | (g >> 3) << 5 | (b >> 3);
        if (lut_[size_t(key)] < 0) {
            int best = 0;
            long best_d = -1;
            for (int i = 0; i < int(colors_.size()); ++i) {
                const long dr = long(colors_[size_t(i)] >> 16 & 255) - r, dg = long(colors_[size_t(i)] >> 8 & 255) - g,
                           db = long(colors_[size_t(i)] & 255) - b;
                const long d = 3 * dr * dr + 4 * dg * dg + 2 * db * db;
                if (best_d < 0 || d < best_d) best_d = d, best = i;
            }
            lut_[size_t(key)] = int16_t(best);
        }
        return uint8_t(lut_[size_t(key)]);
    }

private:
    // Splits px[lo, hi) along its widest channel at the median until `budget` boxes; each box gives its mean.
    void median_cut(std::vector<uint32_t>& px, size_t lo, size_t hi, int budget) {
        if (hi <= lo) return;
        int lo_c[3] = {255, 255, 255}, hi_c[3] = {0, 0, 0};
        for (size_t i = lo; i < hi; ++i)
            for (int c = 0; c < 3; ++c) {
                const int v = int(px[i] >> (16 - 8 * c) & 255);
                lo_c[c] = std::min(lo_c[c], v), hi_c[c] = std::max(hi_c[c], v);
            }
        int axis = 0;
        for (int c = 1; c < 3; ++c)
            if (hi_c[c] - lo_c[c] > hi_c[axis] - lo_c[axis]) axis = c;
        if (budget <= 1 || hi - lo < 2 || hi_c[axis] == lo_c[axis]) {
            uint64_t sum[3] = {0, 0, 0};
            for (size_t i = lo; i < hi; ++i)
                for (int c = 0; c < 3; ++c) sum[c] += px[i] >> (16 - 8 * c) & 255;
            const uint64_t n = hi - lo;
            colors_.push_back(uint32_t((sum[0] + n / 2) / n) << 16 | uint32_t((sum[1] + n / 2) / n) << 8 | uint32_t((sum[2] + n / 2) / n));
            return;
        }
        const int shift = 16 - 8 * axis;
        const size_t mid = lo + (hi - lo) / 2;
        std::nth_element(px.begin() + long(lo), px.begin() + long(mid), px.begin() + long(hi),
                         [shift](uint32_t a, uint32_t b) { return (a >> shift & 255) < (b >> shift & 255); });
        median_cut(px, lo, mid, budget / 2);
        median_cut(px, mid, hi, budget - budget / 2);
    }
    std::vector<uint32_t> colors_;
    std::vector<int16_t> lut_;
};
}  // namespace

struct VideoWriter::Impl {
    std::string path, tmp;
    int w = 0, h = 0, src_w = 0, src_h = 0;
    AVFormatContext* fmt = nullptr;
    AVCodecContext* enc = nullptr;
    AVStream* stream = nullptr;
    AVFrame* frame = nullptr;
    AVPacket* pkt = nullptr;
    SwsContext* sws = nullptr;
    int64_t n = 0;
    bool gif = false;
    std::unique_ptr<Palette> palette;

    void check(int ret, const char* what) {
        if (ret < 0) throw IoError("video " + path + ": " + what + " failed (" + av_error(ret) + ")");
    }
    void drain() {
        for (;;) {
            int ret = avcodec_receive_packet(enc, pkt);
            if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF) return;
            check(ret, "encoding");
            if (pkt->duration <= 0) pkt->duration = 1;  // one frame of the encoder's 1/fps time base
            av_packet_rescale_ts(pkt, enc->time_base, stream->time_base);
            pkt->stream_index = stream->index;
            check(av_interleaved_write_frame(fmt, pkt), "writing a packet");
        }
    }
    void release() {
        if (sws) sws_freeContext(sws), sws = nullptr;
        if (frame) av_frame_free(&frame);
        if (pkt) av_packet_free(&pkt);
        if (enc) avcodec_free_context(&enc);
        if (fmt) {
            if (fmt->pb) avio_closep(&fmt->pb);
            avformat_free_context(fmt);
            fmt = nullptr;
        }
    }
};

VideoWriter::VideoWriter() = default;
VideoWriter::~VideoWriter() {
    try {
        close();
    } catch (...) {
    }
}

bool VideoWriter::is_open() const { return impl_ != nullptr; }
int64_t VideoWriter::frames() const { return impl_ ? impl_->n : 0; }
const std::string& VideoWriter::path() const {
    static const std::string none;
    return impl_ ? impl_->path : none;
}

void VideoWriter::open(const std::string& path, int width, int height, int fps) {
    close();
    if (width < 2 || height < 2) throw IoError("video " + path + ": size " + std::to_string(width) + "x" + std::to_string(height) + " too small");
    if (fps < 1 || fps > 240) throw IoError("video fps=" + std::to_string(fps) + " is not allowed: expected 1..240");
    av_log_set_level(AV_LOG_ERROR);  // x264's statistics are not for the console
    auto im = std::make_unique<Impl>();
    im->path = path;
    im->gif = ends_with(path, ".gif");
    im->tmp = path + (im->gif ? ".part.gif" : ".part.mp4");
    im->src_w = width, im->src_h = height;
    im->w = im->gif ? width : width & ~1, im->h = im->gif ? height : height & ~1;
    try {
        im->check(avformat_alloc_output_context2(&im->fmt, nullptr, im->gif ? "gif" : "mp4", im->tmp.c_str()),
                  im->gif ? "creating the GIF container" : "creating the MP4 container");
        const AVCodec* codec = nullptr;
        if (im->gif) {
            codec = avcodec_find_encoder(AV_CODEC_ID_GIF);
            if (!codec) throw IoError("video " + path + ": no GIF encoder in this libavcodec");
        } else {
            codec = avcodec_find_encoder_by_name("libx264");
            if (!codec) codec = avcodec_find_encoder(AV_CODEC_ID_H264);
            if (!codec) throw IoError("video " + path + ": no H.264 encoder in this libavcodec (install libavcodec-extra?)");
        }
        im->stream = avformat_new_stream(im->fmt, nullptr);
        im->enc = avcodec_alloc_context3(codec);
        im->enc->width = im->w;
        im->enc->height = im->h;
        im->enc->time_base = AVRational{1, fps};
        im->enc->framerate = AVRational{fps, 1};
        im->enc->pix_fmt = im->gif ? AV_PIX_FMT_PAL8 : AV_PIX_FMT_YUV420P;
        if (!im->gif) {
            im->enc->gop_size = fps * 2;
            // No B-frames: packets arrive in order with dts = pts from 0, so the MP4 needs no edit list (whose
            // rounding at low frame rates made players skip the first frame) and every frame has its duration.
            im->enc->max_b_frames = 0;
            av_opt_set(im->enc->priv_data, "preset", "veryfast", 0);
            av_opt_set(im->enc->priv_data, "crf", "20", 0);
        }
        if (im->fmt->oformat->flags & AVFMT_GLOBALHEADER) im->enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
        im->check(avcodec_open2(im->enc, codec, nullptr), im->gif ? "opening the GIF encoder" : "opening the H.264 encoder");
        im->check(avcodec_parameters_from_context(im->stream->codecpar, im->enc), "copying codec parameters");
        im->stream->time_base = im->enc->time_base;
        im->check(avio_open(&im->fmt->pb, im->tmp.c_str(), AVIO_FLAG_WRITE), "opening the file");
        im->check(avformat_write_header(im->fmt, nullptr), "writing the header");
        im->frame = av_frame_alloc();
        im->frame->format = im->enc->pix_fmt;
        im->frame->width = im->w;
        im->frame->height = im->h;
        im->check(av_frame_get_buffer(im->frame, 0), "allocating a frame");
        im->pkt = av_packet_alloc();
        if (!im->gif) {
            im->sws = sws_getContext(im->w, im->h, AV_PIX_FMT_RGB24, im->w, im->h, AV_PIX_FMT_YUV420P, SWS_BILINEAR,
                                     nullptr, nullptr, nullptr);
            if (!im->sws) throw IoError("video " + path + ": cannot create the colour converter");
        }
    } catch (...) {
        im->release();
        std::remove(im->tmp.c_str());
        throw;
    }
    impl_ = std::move(im);
}

void VideoWriter::add_frame(const uint8_t* rgb, bool bottom_up) {
    if (!impl_) throw IoError("video: add_frame on a closed writer");
    Impl& im = *impl_;
    im.check(av_frame_make_writable(im.frame), "making a frame writable");
    const int stride = im.src_w * 3;
    const uint8_t* src = rgb;
    int src_stride = stride;
    if (bottom_up) {  // start at the last stored row (the top of the picture) and walk backwards
        src = rgb + size_t(im.src_h - 1) * stride;
        src_stride = -stride;
    }
    if (im.gif) {
        if (!im.palette) im.palette = std::make_unique<Palette>(rgb, size_t(im.src_w) * im.src_h);
        auto* pal = reinterpret_cast<uint32_t*>(im.frame->data[1]);
        for (size_t i = 0; i < 256; ++i) pal[i] = 0xFF000000u | im.palette->colors()[i];
        for (int y = 0; y < im.h; ++y) {
            const uint8_t* row = src + long(y) * src_stride;
            uint8_t* out = im.frame->data[0] + long(y) * im.frame->linesize[0];
            for (int x = 0; x < im.w; ++x) out[x] = im.palette->index(row[3 * x], row[3 * x + 1], row[3 * x + 2]);
        }
    } else {
        const uint8_t* planes[1] = {src};
        const int strides[1] = {src_stride};
        sws_scale(im.sws, planes, strides, 0, im.h, im.frame->data, im.frame->linesize);
    }
    im.frame->pts = im.n++;
    im.check(avcodec_send_frame(im.enc, im.frame), "sending a frame");
    im.drain();
}

void VideoWriter::close() {
    if (!impl_) return;
    std::unique_ptr<Impl> im = std::move(impl_);
    try {
        im->check(avcodec_send_frame(im->enc, nullptr), "flushing the encoder");
        im->drain();
        im->check(av_write_trailer(im->fmt), "writing the trailer");
        im->release();
        commit_file(im->tmp, im->path);
    } catch (...) {
        im->release();
        std::remove(im->tmp.c_str());
        throw;
    }
}

void VideoWriter::abort() {
    if (!impl_) return;
    std::unique_ptr<Impl> im = std::move(impl_);
    im->release();
    std::remove(im->tmp.c_str());
}

VideoInfo probe_video(const std::string& path) {
    VideoInfo info;
    AVFormatContext* fmt = nullptr;
    if (avformat_open_input(&fmt, path.c_str(), nullptr, nullptr) < 0) throw IoError("cannot open video " + path);
    AVCodecContext* dec = nullptr;
    AVPacket* pkt = av_packet_alloc();
    AVFrame* frame = av_frame_alloc();
    auto cleanup = [&] {
        av_frame_free(&frame);
        av_packet_free(&pkt);
        avcodec_free_context(&dec);
        avformat_close_input(&fmt);
    };
    try {
        if (avformat_find_stream_info(fmt, nullptr) < 0) throw IoError("no stream info in " + path);
        const AVCodec* codec = nullptr;
        const int si = av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0);
        if (si < 0 || !codec) throw IoError("no decodable video stream in " + path);
        dec = avcodec_alloc_context3(codec);
        avcodec_parameters_to_context(dec, fmt->streams[si]->codecpar);
        if (avcodec_open2(dec, codec, nullptr) < 0) throw IoError("cannot open decoder for " + path);
        info.codec = codec->name;
        const AVStream* st = fmt->streams[si];
        if (st->avg_frame_rate.den > 0) info.fps = av_q2d(st->avg_frame_rate);
        else if (st->r_frame_rate.den > 0) info.fps = av_q2d(st->r_frame_rate);
        if (fmt->duration > 0) info.duration_s = double(fmt->duration) / AV_TIME_BASE;
        auto receive = [&] {
            while (avcodec_receive_frame(dec, frame) == 0) {
                ++info.frames;
                info.width = frame->width, info.height = frame->height;
                // Hash the picture: each plane's visible bytes (a palette counts as a plane of 1024 bytes).
                uint64_t h = 1469598103934665603ull;
                const AVPixFmtDescriptor* d = av_pix_fmt_desc_get(AVPixelFormat(frame->format));
                for (int p = 0; p < 4 && frame->data[p]; ++p) {
                    const bool pal = d && (d->flags & AV_PIX_FMT_FLAG_PAL) && p == 1;
                    const int rows = pal ? 1 : (p == 0 || !d ? frame->height : AV_CEIL_RSHIFT(frame->height, d->log2_chroma_h));
                    const int bytes = pal ? 1024 : av_image_get_linesize(AVPixelFormat(frame->format), frame->width, p);
                    for (int y = 0; y < rows && bytes > 0; ++y) {
                        const uint64_t r = fnv1a64(reinterpret_cast<const char*>(frame->data[p] + long(y) * frame->linesize[p]), size_t(bytes));
                        h = (h ^ r) * 1099511628211ull;
                    }
                }
                info.frame_hashes.push_back(h);
            }
        };
        while (av_read_frame(fmt, pkt) >= 0) {
            if (pkt->stream_index == si && avcodec_send_packet(dec, pkt) >= 0) receive();
            av_packet_unref(pkt);
        }
        avcodec_send_packet(dec, nullptr);
        receive();
    } catch (...) {
        cleanup();
        throw;
    }
    cleanup();
    return info;
}

}  // namespace dl
