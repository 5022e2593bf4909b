/*
 * What the loop wants of a camera's decoding (struct source_decode),
 * packed into one atomic word that the loop stores and the camera's
 * worker reads at every packet. The two low bits are the loop's to flip
 * at any packet; the rest set up the decoder (threads and hwaccel need a
 * new one, the rest apply to the one there is). Private to src/source.
 */
#ifndef VIGIL_SOURCE_MODE_H
#define VIGIL_SOURCE_MODE_H

#include <stdint.h>

#include "decode/decode.h"
#include "source/source.h"

#define MODE_ON UINT64_C(1)
#define MODE_KEYFRAMES UINT64_C(2)

static inline uint64_t mode_pack(const struct source_decode *d)
{
    return (d->on ? MODE_ON : 0) | (d->keyframes_only ? MODE_KEYFRAMES : 0) |
           (uint64_t)d->skip_loop_filter << 2 |
           (uint64_t)(d->fit & 3) << 3 | (uint64_t)(d->hwaccel & 3) << 5 |
           (uint64_t)d->nearest << 7 |
           (uint64_t)(d->threads > 1 ? d->threads & 0xff : 1) << 8 |
           (uint64_t)(d->tile_w & 0xffff) << 16 |
           (uint64_t)(d->tile_h & 0xffff) << 32;
}

static inline struct source_decode mode_unpack(uint64_t v)
{
    return (struct source_decode){
        .on = (v & MODE_ON) != 0,
        .keyframes_only = (v & MODE_KEYFRAMES) != 0,
        .skip_loop_filter = v >> 2 & 1,
        .fit = (enum layout_fit)(v >> 3 & 3),
        .hwaccel = (enum cfg_hwaccel)(v >> 5 & 3),
        .nearest = v >> 7 & 1,
        .threads = (int)(v >> 8 & 0xff),
        .tile_w = (int)(v >> 16 & 0xffff),
        .tile_h = (int)(v >> 32 & 0xffff),
    };
}

static inline enum decoder_hw mode_hw(enum cfg_hwaccel hw)
{
    static const enum decoder_hw hw_map[] = {
        [CFG_HWACCEL_AUTO] = DECODER_HW_AUTO,
        [CFG_HWACCEL_NONE] = DECODER_HW_NONE,
        [CFG_HWACCEL_VAAPI] = DECODER_HW_VAAPI,
        [CFG_HWACCEL_CUDA] = DECODER_HW_CUDA,
    };
    return hw_map[hw];
}

#endif
