// A GL texture holding an Image, for ImGui::Image. Lives only where a GL context exists (the GUI).
#pragma once
#include "base/image.h"

namespace dl {

class Texture {
public:
    Texture() = default;
    ~Texture();
    Texture(const Texture&) = delete;
    Texture& operator=(const Texture&) = delete;
    void upload(const Image& img);   // (re)allocates when the size changes
    void* id() const { return reinterpret_cast<void*>(static_cast<intptr_t>(tex_)); }
    int width() const { return w_; }
    int height() const { return h_; }

private:
    unsigned tex_ = 0;
    int w_ = 0, h_ = 0;
};

}  // namespace dl
