/* A camera's GOP cache (see gop.h). */
#include "source/gop.h"

void gop_cache_clear(struct gop_cache *g)
{
    for (int i = 0; i < g->n; i++) {
        av_packet_free(&g->pkt[i]);
    }
    g->n = 0;
    g->bytes = 0;
    g->valid = false;
}

void gop_cache_add(struct gop_cache *g, const AVPacket *pkt, bool key)
{
    if (key) {
        gop_cache_clear(g);
        g->valid = true;
    }
    if (!g->valid) {
        return;
    }
    if (g->n == GOP_MAX_PACKETS ||
        g->bytes + (size_t)pkt->size > GOP_MAX_BYTES) {
        gop_cache_clear(g);
        return;
    }
    AVPacket *ref = av_packet_clone(pkt);
    if (!ref) {
        gop_cache_clear(g); /* out of memory: survivable, the cache goes */
        return;
    }
    g->pkt[g->n++] = ref;
    g->bytes += (size_t)pkt->size;
}
