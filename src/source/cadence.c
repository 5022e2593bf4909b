/* A stream's keyframe cadence (see cadence.h). */
#include "source/cadence.h"

void key_cadence_update(struct key_cadence *c, bool key, int64_t t_ns,
                        int64_t lag_ns)
{
    if (!key || t_ns == INT64_MIN) {
        return;
    }
    c->every_ns = c->seen ? t_ns - c->pts_ns : 0;
    c->pts_ns = t_ns;
    c->lag_ns = lag_ns;
    c->seen = true;
}

bool key_cadence_waits(const struct key_cadence *c, bool key, int64_t t_ns,
                       int64_t now, int64_t show_at)
{
    int64_t until = show_at - CADENCE_MARGIN_NS;
    if (key || show_at == 0 || until <= now || t_ns == INT64_MIN ||
        c->every_ns <= 0 || c->every_ns > CADENCE_MAX_NS) {
        return false;
    }
    /* The packet was sent no later than it was read; the next keyframe
     * comes its distance in media time after it, and as late as the last
     * keyframe came. */
    int64_t next = c->pts_ns + c->every_ns;
    return next > t_ns && next - t_ns <= CADENCE_MAX_NS &&
           now + (next - t_ns) + c->lag_ns <= until;
}

bool preroll_holds(int64_t now, int64_t show_at, int64_t frame_ns)
{
    if (frame_ns < 0 || frame_ns > CADENCE_MAX_NS) {
        frame_ns = 0;
    }
    return show_at != 0 && now + frame_ns + CADENCE_MARGIN_NS < show_at;
}
