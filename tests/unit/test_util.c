/* Pure helpers: URL redaction, reconnect backoff and what follows a
 * session's end, log rate limiting, durations. */
#include <errno.h>
#include <stdlib.h>

#include "config/config.h"
#include "source/retry.h"
#include "test.h"
#include "util/backoff.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/msgq.h"
#include "util/time.h"
#include "util/url.h"

static void redact(void)
{
    char out[256];
    url_redact("rtsp://admin:secret@10.0.0.1:554/Streaming/101", out,
               sizeof(out));
    CHECK_STR(out, "rtsp://***@10.0.0.1:554/Streaming/101");
    url_redact("rtsp://10.0.0.1/live", out, sizeof(out));
    CHECK_STR(out, "rtsp://10.0.0.1/live");
    url_redact("rtsp://10.0.0.1/a@b", out, sizeof(out));
    CHECK_STR(out, "rtsp://10.0.0.1/a@b");
    url_redact("lavfi:color=red", out, sizeof(out));
    CHECK_STR(out, "lavfi:color=red");
    CHECK(url_is_network("rtsp://x/y"));
    CHECK(!url_is_network("/tmp/clip.mkv"));
    CHECK(!url_is_network("lavfi:testsrc"));
}

/* Credentials as users type them: encoded for FFmpeg, never printed. */
static void credentials(void)
{
    char out[512];
    char *n = url_normalize("rtsp://admin:p@ss w#rd!@10.0.0.1:554/live");
    CHECK_STR(n, "rtsp://admin:p%40ss%20w%23rd%21@10.0.0.1:554/live");
    url_redact(n, out, sizeof(out));
    CHECK_STR(out, "rtsp://***@10.0.0.1:554/live");
    free(n);
    /* already encoded: kept */
    n = url_normalize("rtsp://admin:p%40ss@cam/x");
    CHECK_STR(n, "rtsp://admin:p%40ss@cam/x");
    free(n);
    /* a slash in the password, typed as it is */
    n = url_normalize("rtsp://u:a/b@cam.local/s");
    CHECK_STR(n, "rtsp://u:a%2Fb@cam.local/s");
    free(n);
    /* no credentials; an '@' in the path stays in the path */
    n = url_normalize("rtsp://10.0.0.1/a@b");
    CHECK_STR(n, "rtsp://10.0.0.1/a@b");
    free(n);
    struct url_parts u;
    CHECK_INT(url_split("rtsp://admin:x@[::1]:8554/a?b", &u), 0);
    CHECK_INT(u.host_len, 10);
    CHECK_STR(u.rest, "/a?b");
    CHECK_INT(url_split("lavfi:color", &u), -EINVAL);
    /* the redactor: query secrets and webhook paths */
    url_redact("https://hooks.example.com/services/T01/B02/XyZ?token=abc&x=1",
               out, sizeof(out));
    CHECK_STR(out, "https://hooks.example.com/services/***?token=***&x=1");
    url_redact("rtsp://cam/cam/realmonitor?channel=1&subtype=0", out,
               sizeof(out));
    CHECK_STR(out, "rtsp://cam/cam/realmonitor?channel=1&subtype=0");
    url_redact_text("open 'rtsp://admin:s3cret@cam/a' failed; Authorization: "
                    "Basic YWRtaW46czNjcmV0", out, sizeof(out));
    CHECK_STR(out, "open 'rtsp://***@cam/a' failed; Authorization: ***");
    /* what a camera may open */
    CHECK_INT(url_kind("rtsps://cam/a"), URL_RTSP);
    CHECK_INT(url_kind("https://cdn/live.m3u8"), URL_HTTP);
    CHECK_INT(url_kind("srt://127.0.0.1:9000?mode=caller"), URL_SRT);
    CHECK_INT(url_kind("/var/clips/a.mkv"), URL_FILE);
    CHECK_INT(url_kind("lavfi:testsrc"), URL_LAVFI);
    CHECK_INT(url_kind("pipe:0"), URL_FORBIDDEN);
    CHECK_INT(url_kind("concat:a.ts|b.ts"), URL_FORBIDDEN);
    CHECK_INT(url_kind("gopher://x/"), URL_FORBIDDEN);
    CHECK_STR(url_protocols(URL_HTTP), "http,https,tcp,tls,crypto");
    CHECK(url_protocols(URL_FORBIDDEN) == NULL);
}

static void backoff(void)
{
    struct backoff b;
    backoff_init(&b, VT_S, 30 * VT_S, 42);
    int64_t nominal = VT_S;
    for (int i = 0; i < 10; i++) {
        int64_t d = backoff_next(&b);
        CHECK(d >= nominal / 2);
        CHECK(d <= nominal);
        nominal = nominal * 2 > 30 * VT_S ? 30 * VT_S : nominal * 2;
    }
    /* capped at 30 s */
    CHECK(backoff_next(&b) <= 30 * VT_S);
    backoff_reset(&b);
    CHECK(backoff_next(&b) <= VT_S);
    /* two cameras with different seeds do not retry in lockstep */
    struct backoff a, c;
    backoff_init(&a, VT_S, 30 * VT_S, 1);
    backoff_init(&c, VT_S, 30 * VT_S, 2);
    int same = 0;
    for (int i = 0; i < 8; i++) {
        same += backoff_next(&a) == backoff_next(&c);
    }
    CHECK(same < 8);
}

static void pacing(void)
{
    struct pacer p = { .interval_ns = 50 * VT_MS };
    int64_t t = 100 * VT_S;
    /* 40 cameras due at the same instant go one every 50 ms */
    int64_t last = 0;
    for (int i = 0; i < 40; i++) {
        int64_t at = pacer_slot(&p, t);
        CHECK(at == t + i * 50 * VT_MS);
        last = at;
    }
    CHECK(last - t == 39 * 50 * VT_MS);
    /* one camera alone, later, goes when it wants */
    CHECK(pacer_slot(&p, t + 10 * VT_S) == t + 10 * VT_S);
    /* one due inside the last slot's interval waits for its end */
    CHECK(pacer_slot(&p, t + 10 * VT_S + VT_MS) ==
          t + 10 * VT_S + 50 * VT_MS);
}

/* After a session ends: quiet at once, or a back-off step, as the facts
 * about the session say. */
static void retry(void)
{
    struct backoff b;
    struct retry_out o;
    backoff_init(&b, VT_S, 30 * VT_S, 7);
    /* a camera that ended a session it had streamed for a minute */
    struct retry_in ended = { .ran_ns = 60 * VT_S, .streamed_ns = 59 * VT_S,
                              .fault = SOURCE_FAULT_STREAM,
                              .err = VIGIL_EEOF };
    retry_plan(&b, &ended, &o);
    CHECK(o.quiet && o.delay_ns == 0);
    /* ... the quiet retry is refused: a short back-off step, from the
     * start again (the session was healthy) */
    struct retry_in refused = { .ran_ns = VT_MS,
                                .fault = SOURCE_FAULT_NETWORK,
                                .err = -ECONNREFUSED };
    retry_plan(&b, &refused, &o);
    CHECK(!o.quiet && o.delay_ns >= VT_S / 2 && o.delay_ns <= VT_S);
    /* refusals: the steps grow, but never past 5 s */
    int64_t longest = 0;
    for (int i = 0; i < 10; i++) {
        retry_plan(&b, &refused, &o);
        longest = o.delay_ns > longest ? o.delay_ns : longest;
    }
    CHECK(longest == RETRY_REFUSED_NS);
    /* a connect that timed out is not capped: 30 s steps by then */
    struct retry_in silent = { .ran_ns = 3 * VT_S, .timed_out = true,
                               .fault = SOURCE_FAULT_NETWORK,
                               .err = VIGIL_EABORTED };
    retry_plan(&b, &silent, &o);
    CHECK(!o.quiet && o.delay_ns > RETRY_REFUSED_NS);
    /* a stall (the read timed out) after a long session is an outage,
     * and starts the back-off over */
    struct retry_in stall = { .ran_ns = 60 * VT_S, .streamed_ns = 59 * VT_S,
                              .timed_out = true,
                              .fault = SOURCE_FAULT_NETWORK };
    retry_plan(&b, &stall, &o);
    CHECK(!o.quiet && o.delay_ns <= VT_S);
    /* so is the end of a young session, and of a test pattern */
    struct retry_in young = ended;
    young.streamed_ns = 3 * VT_S;
    retry_plan(&b, &young, &o);
    CHECK(!o.quiet);
    struct retry_in pattern = ended;
    pattern.test_pattern = true;
    retry_plan(&b, &pattern, &o);
    CHECK(!o.quiet);
    /* wrong credentials: never at once, never sooner than 15 s */
    struct retry_in auth = { .ran_ns = 60 * VT_S, .streamed_ns = 59 * VT_S,
                             .fault = SOURCE_FAULT_AUTH,
                             .err = VIGIL_EAUTH };
    retry_plan(&b, &auth, &o);
    CHECK(!o.quiet && o.delay_ns == RETRY_AUTH_NS);
}

static void ratelimit(void)
{
    struct vlog_ratelimit rl = { .interval_ns = 10 * VT_S, .burst = 3 };
    int sup, allowed = 0;
    int64_t t = 1000 * VT_S;
    for (int i = 0; i < 10; i++) {
        allowed += vlog_ratelimit_allow(&rl, t + i * VT_MS, &sup);
    }
    CHECK_INT(allowed, 3);
    /* the next window reports what was swallowed */
    CHECK(vlog_ratelimit_allow(&rl, t + 11 * VT_S, &sup));
    CHECK_INT(sup, 7);
}

static void durations(void)
{
    int64_t ms;
    CHECK(config_parse_duration("500ms", &ms));
    CHECK_INT(ms, 500);
    CHECK(config_parse_duration("15s", &ms));
    CHECK_INT(ms, 15000);
    CHECK(config_parse_duration("1.5s", &ms));
    CHECK_INT(ms, 1500);
    CHECK(config_parse_duration("5m", &ms));
    CHECK_INT(ms, 300000);
    CHECK(config_parse_duration("1h", &ms));
    CHECK_INT(ms, 3600000);
    CHECK(!config_parse_duration("15", &ms));
    CHECK(!config_parse_duration("s", &ms));
    CHECK(!config_parse_duration("-1s", &ms));
    CHECK(!config_parse_duration("3 weeks", &ms));
}

static void queue(void)
{
    struct msgq q;
    msgq_init(&q, 2);
    CHECK(msgq_head(&q) == NULL);
    CHECK(msgq_push(&q, xstrdup("a")));
    CHECK(msgq_push(&q, xstrdup("b")));
    CHECK(!msgq_push(&q, xstrdup("c"))); /* full: dropped, counted */
    CHECK_INT(q.dropped, 1);
    CHECK_STR(msgq_head(&q), "a");
    msgq_pop(&q);
    CHECK_STR(msgq_head(&q), "b");
    CHECK(msgq_push(&q, xstrdup("d")));
    CHECK_INT(q.count, 2);
    msgq_finish(&q);
    CHECK(msgq_head(&q) == NULL);
}

int main(void)
{
    RUN(redact);
    RUN(credentials);
    RUN(queue);
    RUN(backoff);
    RUN(pacing);
    RUN(retry);
    RUN(ratelimit);
    RUN(durations);
    return test_done();
}
