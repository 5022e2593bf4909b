/*
 * A camera's GOP cache: the packets since the last keyframe, so a camera
 * becoming visible decodes from there at once instead of waiting up to a
 * GOP for the next keyframe. A GOP too
 * large for the budget is dropped whole; decoding then waits for the next
 * keyframe.
 *
 * Thread: a camera's worker.
 */
#ifndef VIGIL_SOURCE_GOP_H
#define VIGIL_SOURCE_GOP_H

#include <stdbool.h>
#include <stddef.h>

#include <libavcodec/packet.h>

#define GOP_MAX_PACKETS 600
#define GOP_MAX_BYTES (16u << 20)

struct gop_cache {
    AVPacket *pkt[GOP_MAX_PACKETS]; /* [0, n) cached, then blank ones */
    int n;
    size_t bytes;
    bool valid; /* starts at a keyframe and nothing was dropped */
};

/* Move pkt's reference into the cache (pkt is left blank; nothing is
 * copied) and return the cached packet; one not cached (no keyframe yet,
 * too large a GOP) stays in pkt, which is returned. A keyframe (`key`)
 * starts the cache over. */
AVPacket *gop_cache_add(struct gop_cache *g, AVPacket *pkt, bool key);
/* Empty it (the packets' structs are kept for the next GOP). */
void gop_cache_clear(struct gop_cache *g);
void gop_cache_free(struct gop_cache *g);

#endif
