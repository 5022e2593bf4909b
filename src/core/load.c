/* Load measurement and shedding (see load.h). */
#include <stdbool.h>

#include "core/load.h"
#include "util/mem.h"

#define RESTORE_FIRST_S 10
#define RESTORE_MAX_S 320
#define RELAPSE_MS (30 * 1000)     /* over budget this soon: a relapse */
#define CALM_MS (10 * 60 * 1000)   /* calm this long: start over */

struct load {
    int n_cores;
    struct load_state st;
    struct load_sample prev;
    int have_prev;
    int over, under;      /* seconds above / well below budget */
    int64_t restored_ms;  /* the last restore (wall), 0: none */
};

const char *load_shed_name(enum load_shed s)
{
    static const char *const n[] = { "none", "preroll", "keyframes" };
    return n[s];
}

struct load *load_create(int n_cores)
{
    struct load *l = xzalloc(sizeof(*l));
    l->n_cores = n_cores > 0 ? n_cores : 1;
    l->st.restore_after_s = RESTORE_FIRST_S;
    return l;
}

void load_destroy(struct load *l)
{
    free(l);
}

const struct load_state *load_get(const struct load *l)
{
    return &l->st;
}

/* Shed one level more, restore one, or neither; returns the step. */
static int decide(struct load *l, double worst, double budget,
                  int64_t wall)
{
    struct load_state *st = &l->st;
    bool behind = st->behind > 0;
    l->over = worst > budget || behind ? l->over + 1 : 0;
    l->under = worst < budget / 2 && !behind ? l->under + 1 : 0;
    if (l->over >= 2 && st->shed < LOAD_SHED_KEYFRAMES) {
        st->shed++;
        st->shed_events++;
        /* back over budget soon after a restore: what was shed is still
         * needed; wait twice as long before the next try */
        if (l->restored_ms && wall - l->restored_ms < RELAPSE_MS) {
            st->restore_after_s = st->restore_after_s * 2 > RESTORE_MAX_S
                                      ? RESTORE_MAX_S
                                      : st->restore_after_s * 2;
        }
        return 1;
    }
    if (l->under >= st->restore_after_s && st->shed > LOAD_SHED_NONE) {
        st->shed--;
        l->restored_ms = wall;
        return -1;
    }
    if (!st->shed && l->restored_ms && wall - l->restored_ms > CALM_MS) {
        st->restore_after_s = RESTORE_FIRST_S; /* calm: start over */
        l->restored_ms = 0;
    }
    return 0;
}

int load_step(struct load *l, const struct load_sample *s, double budget)
{
    int step = 0;
    if (l->have_prev && s->mono_ns > l->prev.mono_ns) {
        double dt = (double)(s->mono_ns - l->prev.mono_ns);
        struct load_state *st = &l->st;
        st->decode = (double)(s->decode_ns - l->prev.decode_ns) /
                     (dt * l->n_cores);
        st->render = (double)(s->render_ns - l->prev.render_ns) / dt;
        st->process = (double)(s->cpu_us - l->prev.cpu_us) * 1000 /
                      (dt * l->n_cores);
        st->behind = s->behind;
        double worst = st->decode;
        worst = st->render > worst ? st->render : worst;
        worst = st->process > worst ? st->process : worst;
        step = decide(l, worst, budget, s->wall_ms);
        if (step) {
            l->over = l->under = 0;
            st->shed_since_ms = s->wall_ms;
        }
    }
    l->prev = *s;
    l->have_prev = 1;
    return step;
}
