/* A camera's GOP cache (see gop.h). */
#include "source/gop.h"

void gop_cache_clear(struct gop_cache *g)
{
    for (int i = 0; i < g->n; i++) {
        av_packet_unref(g->pkt[i]);
    }
    g->n = 0;
    g->bytes = 0;
    g->valid = false;
}

void gop_cache_free(struct gop_cache *g)
{
    gop_cache_clear(g);
    for (int i = 0; i < GOP_MAX_PACKETS && g->pkt[i]; i++) {
        av_packet_free(&g->pkt[i]);
    }
}

AVPacket *gop_cache_add(struct gop_cache *g, AVPacket *pkt, bool key)
{
    if (key) {
        gop_cache_clear(g);
        g->valid = true;
    }
    if (!g->valid) {
        return pkt;
    }
    AVPacket **slot = &g->pkt[g->n];
    if (g->n == GOP_MAX_PACKETS ||
        g->bytes + (size_t)pkt->size > GOP_MAX_BYTES ||
        (!*slot && !(*slot = av_packet_alloc())) ||
        av_packet_make_refcounted(pkt) < 0) {
        /* too large a GOP, or out of memory (survivable): the cache goes,
         * decoding waits for the next keyframe */
        gop_cache_clear(g);
        return pkt;
    }
    g->bytes += (size_t)pkt->size;
    av_packet_move_ref(*slot, pkt);
    g->n++;
    return *slot;
}
