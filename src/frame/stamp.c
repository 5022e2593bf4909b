#include <errno.h>
#include <string.h>

#include <libavutil/buffer.h>
#include <libavutil/frame.h>

#include "frame/stamp.h"

int frame_stamp_set(AVFrame *f, int64_t capture_us)
{
    av_buffer_unref(&f->opaque_ref);
    f->opaque_ref = av_buffer_alloc(sizeof(capture_us));
    if (!f->opaque_ref) {
        return -ENOMEM;
    }
    memcpy(f->opaque_ref->data, &capture_us, sizeof(capture_us));
    return 0;
}

int64_t frame_stamp_get(const AVFrame *f)
{
    int64_t v = 0;
    if (f->opaque_ref && f->opaque_ref->size >= (int)sizeof(v)) {
        memcpy(&v, f->opaque_ref->data, sizeof(v));
    }
    return v;
}
