#include "media/media.h"

#include <cstdio>
#include <vector>

#include <stb_image_write.h>  // implementation comes from Debian's libstb

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/imgutils.h>
#include <libavutil/opt.h>
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

// [SECTION] MP4

namespace {
std::string av_error(int code) {
    char buf[AV_ERROR_MAX_STRING_SIZE] = {};
    av_strerror(code, buf, sizeof buf);
    return buf;
}
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

    void check(int ret, const char* what) {
        if (ret < 0) throw IoError("video " + path + ": " + what + " failed (" + av_error(ret) + ")");
    }
    void drain() {
        for (;;) {
            int ret = avcodec_receive_packet(enc, pkt);
            if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF) return;
            check(ret, "encoding");
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
    im->tmp = path + ".part.mp4";
    im->src_w = width, im->src_h = height;
    im->w = width & ~1, im->h = height & ~1;
    try {
        im->check(avformat_alloc_output_context2(&im->fmt, nullptr, "mp4", im->tmp.c_str()), "creating the MP4 container");
        const AVCodec* codec = avcodec_find_encoder_by_name("libx264");
        if (!codec) codec = avcodec_find_encoder(AV_CODEC_ID_H264);
        if (!codec) throw IoError("video " + path + ": no H.264 encoder in this libavcodec (install libavcodec-extra?)");
        im->stream = avformat_new_stream(im->fmt, nullptr);
        im->enc = avcodec_alloc_context3(codec);
        im->enc->width = im->w;
        im->enc->height = im->h;
        im->enc->time_base = AVRational{1, fps};
        im->enc->framerate = AVRational{fps, 1};
        im->enc->pix_fmt = AV_PIX_FMT_YUV420P;
        im->enc->gop_size = fps * 2;
        if (im->fmt->oformat->flags & AVFMT_GLOBALHEADER) im->enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
        av_opt_set(im->enc->priv_data, "preset", "veryfast", 0);
        av_opt_set(im->enc->priv_data, "crf", "20", 0);
        im->check(avcodec_open2(im->enc, codec, nullptr), "opening the H.264 encoder");
        im->check(avcodec_parameters_from_context(im->stream->codecpar, im->enc), "copying codec parameters");
        im->stream->time_base = im->enc->time_base;
        im->check(avio_open(&im->fmt->pb, im->tmp.c_str(), AVIO_FLAG_WRITE), "opening the file");
        im->check(avformat_write_header(im->fmt, nullptr), "writing the header");
        im->frame = av_frame_alloc();
        im->frame->format = AV_PIX_FMT_YUV420P;
        im->frame->width = im->w;
        im->frame->height = im->h;
        im->check(av_frame_get_buffer(im->frame, 0), "allocating a frame");
        im->pkt = av_packet_alloc();
        im->sws = sws_getContext(im->w, im->h, AV_PIX_FMT_RGB24, im->w, im->h, AV_PIX_FMT_YUV420P, SWS_BILINEAR,
                                 nullptr, nullptr, nullptr);
        if (!im->sws) throw IoError("video " + path + ": cannot create the colour converter");
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
    const uint8_t* planes[1] = {src};
    const int strides[1] = {src_stride};
    sws_scale(im.sws, planes, strides, 0, im.h, im.frame->data, im.frame->linesize);
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
        if (std::rename(im->tmp.c_str(), im->path.c_str()) != 0) throw IoError("video: cannot rename " + im->tmp + " to " + im->path);
    } catch (...) {
        im->release();
        std::remove(im->tmp.c_str());
        throw;
    }
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
        auto receive = [&] {
            while (avcodec_receive_frame(dec, frame) == 0) {
                ++info.frames;
                info.width = frame->width, info.height = frame->height;
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
