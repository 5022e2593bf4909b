/* Camera health on a fake clock: a source status is made up step by step
 * and the camera's state, condition and what each step reports are
 * checked, including a stall while the camera is hidden (watched by its
 * packets), an outage that spans reconnects, and sustained decode errors.
 */
#include "core/health.h"
#include "test.h"
#include "util/time.h"

#define T0 (100 * VT_S)

static struct source_status live(int64_t now)
{
    return (struct source_status){
        .state = SOURCE_LIVE,
        .decoding = true,
        .last_frame_ns = now,
        .last_packet_ns = now,
        .frame_interval_ns = VT_S / 15,
    };
}

static void live_then_stall(void)
{
    struct health_rules r = { 0 };
    struct health *h = health_create(1, &r, T0);
    struct health_report rep;
    struct source_status st = live(T0);
    health_step(h, 0, &st, T0, &rep);
    CHECK_INT(rep.state, HEALTH_LIVE);
    CHECK(rep.state_changed);
    CHECK(rep.condition_changed); /* healthy, reported once known */
    CHECK(rep.condition == NULL);
    CHECK(rep.online_changed && rep.online);
    health_step(h, 0, &st, T0 + 100 * VT_MS, &rep);
    CHECK(!rep.state_changed && !rep.condition_changed &&
          !rep.online_changed);
    /* 10 frame intervals at 15 fps: 667 ms without a picture */
    CHECK_INT(health_stall_budget(&r, &st), 10 * (VT_S / 15));
    health_step(h, 0, &st, T0 + 600 * VT_MS, &rep);
    CHECK_INT(rep.state, HEALTH_LIVE);
    health_step(h, 0, &st, T0 + 700 * VT_MS, &rep);
    CHECK_INT(rep.state, HEALTH_STALLED);
    CHECK_STR(rep.condition, "stalled");
    CHECK(rep.condition_changed && rep.online_changed && !rep.online);
    CHECK(strstr(rep.detail, "no decoded frame") != NULL);
    CHECK_INT(health_since(h, 0), T0 + 700 * VT_MS);
    /* pictures again: live, the condition cleared */
    st.last_frame_ns = T0 + 800 * VT_MS;
    health_step(h, 0, &st, T0 + 800 * VT_MS, &rep);
    CHECK_INT(rep.state, HEALTH_LIVE);
    CHECK(rep.condition_changed && rep.condition == NULL);
    CHECK(health_condition(h, 0) == NULL);
    health_destroy(h);
    health_destroy(NULL);
}

/* A hidden camera is not decoded: its packets are what is watched. */
static void stall_while_hidden(void)
{
    struct health_rules r = { .stall_after_ms = 1000 };
    struct health *h = health_create(1, &r, T0);
    struct health_report rep;
    struct source_status st = live(T0);
    st.decoding = false;
    st.last_frame_ns = T0 - 60 * VT_S; /* last decoded long ago */
    health_step(h, 0, &st, T0, &rep);
    CHECK_INT(rep.state, HEALTH_LIVE); /* packets flow: healthy */
    for (int64_t t = T0; t <= T0 + 900 * VT_MS; t += 100 * VT_MS) {
        st.last_packet_ns = t;
        health_step(h, 0, &st, t, &rep);
        CHECK_INT(rep.state, HEALTH_LIVE);
    }
    /* the packets stop */
    health_step(h, 0, &st, T0 + 1800 * VT_MS, &rep);
    CHECK_INT(rep.state, HEALTH_LIVE);
    health_step(h, 0, &st, T0 + 2000 * VT_MS, &rep);
    CHECK_INT(rep.state, HEALTH_STALLED);
    CHECK_STR(rep.condition, "stalled");
    CHECK(strstr(rep.detail, "no data for 1.0 s") != NULL);
    CHECK(!health_stream_ok(h, &st, T0 + 2000 * VT_MS));
    /* new rules apply from the next step: a longer budget */
    r.stall_after_ms = 5000;
    health_set_rules(h, &r);
    health_step(h, 0, &st, T0 + 2100 * VT_MS, &rep);
    CHECK_INT(rep.state, HEALTH_LIVE);
    health_destroy(h);
}

/* Becoming visible, a stream decodes its GOP cache and reads nothing
 * meanwhile; on a starved machine it waits for a decode slot. Either can
 * outlast the stall budget and is not a stall (it raised one, and the
 * wall switched streams for it): the stream is judged as it was when the
 * busy spell began. A stall from before stays; 5 s busy is a stall. */
static void busy_decoding(void)
{
    struct health_rules r = { 0 };
    struct health *h = health_create(1, &r, T0);
    struct health_report rep;
    struct source_status st = live(T0);
    st.decoding = false;
    health_step(h, 0, &st, T0, &rep);
    st.busy_since_ns = T0 + 100 * VT_MS;
    health_step(h, 0, &st, T0 + 1500 * VT_MS, &rep);
    CHECK_INT(rep.state, HEALTH_LIVE);
    CHECK(health_stream_ok(h, &st, T0 + 1500 * VT_MS));
    /* the same wait, not busy: stalled */
    st.busy_since_ns = 0;
    CHECK(!health_stream_ok(h, &st, T0 + 1500 * VT_MS));
    health_step(h, 0, &st, T0 + 1500 * VT_MS, &rep);
    CHECK_INT(rep.state, HEALTH_STALLED);
    /* decoded, packets flowing, no picture for a while: busy with each
     * packet, it stays stalled (it does not flap with the decodes); its
     * packets still make it a stream to choose */
    st.decoding = true;
    st.last_packet_ns = T0 + 1400 * VT_MS;
    st.busy_since_ns = T0 + 1450 * VT_MS;
    health_step(h, 0, &st, T0 + 1500 * VT_MS, &rep);
    CHECK_INT(rep.state, HEALTH_STALLED);
    CHECK(health_stream_ok(h, &st, T0 + 1500 * VT_MS));
    /* a picture, then busy for over 5 s: hung, stalled */
    st.last_frame_ns = T0 + 1500 * VT_MS;
    st.busy_since_ns = T0 + 1500 * VT_MS;
    health_step(h, 0, &st, T0 + 6000 * VT_MS, &rep);
    CHECK_INT(rep.state, HEALTH_LIVE);
    health_step(h, 0, &st, T0 + 6600 * VT_MS, &rep);
    CHECK_INT(rep.state, HEALTH_STALLED);
    health_destroy(h);
}

/* Down, reconnecting, down again: one outage with one condition until
 * the camera is live again. The first connect reports nothing. */
static void outage_across_reconnects(void)
{
    struct health_rules r = { 0 };
    struct health *h = health_create(1, &r, T0);
    struct health_report rep;
    struct source_status st = { .state = SOURCE_CONNECTING };
    health_step(h, 0, &st, T0, &rep);
    CHECK_INT(rep.state, HEALTH_CONNECTING);
    CHECK(!rep.condition_changed && !rep.online_changed);
    st = (struct source_status){ .state = SOURCE_DOWN,
                                 .fault = SOURCE_FAULT_AUTH,
                                 .reason = "authentication failed (401)" };
    health_step(h, 0, &st, T0 + VT_S, &rep);
    CHECK_INT(rep.state, HEALTH_DOWN);
    CHECK_STR(rep.condition, "auth_failed");
    CHECK(rep.condition_changed);
    CHECK(strstr(rep.detail, "401") != NULL);
    st.state = SOURCE_CONNECTING; /* retrying */
    health_step(h, 0, &st, T0 + 2 * VT_S, &rep);
    CHECK_INT(rep.state, HEALTH_DOWN);
    CHECK_STR(rep.condition, "auth_failed");
    CHECK(!rep.condition_changed && !rep.state_changed);
    st = live(T0 + 3 * VT_S);
    health_step(h, 0, &st, T0 + 3 * VT_S, &rep);
    CHECK_INT(rep.state, HEALTH_LIVE);
    CHECK(rep.condition_changed && !rep.condition);
    CHECK(rep.online_changed && rep.online);
    health_destroy(h);
}

/* Connected and fed, but no picture: no_keyframe after max(5 s, 3
 * budgets). */
static void no_keyframe(void)
{
    struct health_rules r = { 0 };
    struct health *h = health_create(1, &r, T0);
    struct health_report rep;
    struct source_status st = { .state = SOURCE_CONNECTING,
                                .connected_ns = T0,
                                .session_packets = 40 };
    health_step(h, 0, &st, T0 + 4 * VT_S, &rep);
    CHECK_INT(rep.state, HEALTH_CONNECTING);
    health_step(h, 0, &st, T0 + 5100 * VT_MS, &rep);
    CHECK_INT(rep.state, HEALTH_STALLED);
    CHECK_STR(rep.condition, "no_keyframe");
    CHECK(strstr(rep.detail, "40 packets") != NULL);
    health_destroy(h);
}

/* More than 1 packet in 5 failing, 3 seconds running. */
static void decode_errors(void)
{
    struct health_rules r = { 0 };
    struct health *h = health_create(1, &r, T0);
    struct health_report rep;
    struct source_status st = live(T0);
    int64_t t = T0;
    health_step(h, 0, &st, t, &rep);
    int raised_at = -1;
    for (int sec = 1; sec <= 5; sec++) {
        t = T0 + sec * VT_S;
        st.last_frame_ns = st.last_packet_ns = t;
        st.packets += 15;
        st.decode_errors += 5;
        health_step(h, 0, &st, t, &rep);
        if (rep.condition && raised_at < 0) {
            raised_at = sec;
        }
    }
    CHECK_INT(raised_at, 3);
    CHECK_STR(rep.condition, "decode_errors");
    CHECK_INT(rep.state, HEALTH_LIVE); /* shown, but alerting */
    int cleared_at = -1;
    for (int sec = 6; sec <= 10; sec++) {
        t = T0 + sec * VT_S;
        st.last_frame_ns = st.last_packet_ns = t;
        st.packets += 15;
        health_step(h, 0, &st, t, &rep);
        if (!rep.condition && cleared_at < 0) {
            cleared_at = sec;
        }
    }
    CHECK_INT(cleared_at, 8);
    health_destroy(h);
}

int main(void)
{
    RUN(live_then_stall);
    RUN(stall_while_hidden);
    RUN(busy_decoding);
    RUN(outage_across_reconnects);
    RUN(no_keyframe);
    RUN(decode_errors);
    return test_done();
}
