/*
 * Console sessions: an operator signs in once with the API token
 * (POST /api/session, the token in the body) and gets a session cookie
 * (random, HttpOnly, SameSite=Strict), so the browser's API calls, event
 * stream and snapshot images are authorized without the token ever
 * travelling in a URL (where access logs and browser history keep it).
 * Sessions live in memory: a restart signs everyone out. Loop thread.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include <http_parser.h>

#include "control/internal.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/time.h"

#define MAX_SESSIONS 64
#define SESSION_IDLE_MS (INT64_C(7) * 86400 * 1000) /* a week unused */
#define COOKIE "vigil_session"

struct session {
    char id[SESSION_ID_LEN + 1]; /* "" free */
    int64_t last_ms;
};

struct sessions {
    struct session s[MAX_SESSIONS];
};

struct sessions *sessions_create(void)
{
    return xzalloc(sizeof(struct sessions));
}

void sessions_destroy(struct sessions *ss)
{
    free(ss);
}

bool session_token_equal(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    unsigned char diff = (unsigned char)(la != lb);
    for (size_t i = 0; i < la && i < lb; i++) {
        diff |= (unsigned char)(a[i] ^ b[i]);
    }
    return diff == 0;
}

/* The value of our cookie in a Cookie header, copied into out. */
static bool cookie_value(const char *header, char *out, size_t size)
{
    for (const char *p = header; p && *p;) {
        p += strspn(p, " ;");
        size_t n = strcspn(p, ";");
        if (n > strlen(COOKIE) && !strncmp(p, COOKIE "=", strlen(COOKIE) + 1)) {
            size_t v = n - strlen(COOKIE) - 1;
            if (v >= size) {
                return false;
            }
            memcpy(out, p + strlen(COOKIE) + 1, v);
            out[v] = 0;
            return true;
        }
        p += n;
    }
    return false;
}

static struct session *find(struct sessions *ss, const char *cookie,
                            int64_t now)
{
    char id[SESSION_ID_LEN + 1];
    if (!cookie || !cookie_value(cookie, id, sizeof(id))) {
        return NULL;
    }
    struct session *hit = NULL;
    for (int i = 0; i < MAX_SESSIONS; i++) {
        struct session *s = &ss->s[i];
        if (s->id[0] && now - s->last_ms > SESSION_IDLE_MS) {
            s->id[0] = 0; /* expired */
        }
        /* every slot compared the same way: no timing to learn from */
        if (s->id[0] && session_token_equal(s->id, id)) {
            hit = s;
        }
    }
    return hit;
}

bool sessions_check(struct sessions *ss, const char *cookie, int64_t now_ms)
{
    struct session *s = find(ss, cookie, now_ms);
    if (s) {
        s->last_ms = now_ms;
    }
    return s != NULL;
}

/* A new session in the slot used least recently; its id into out. */
static int open_session(struct sessions *ss, int64_t now, char *out)
{
    unsigned char raw[SESSION_ID_LEN / 2];
    if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw)) {
        return -EIO;
    }
    struct session *slot = &ss->s[0];
    for (int i = 0; i < MAX_SESSIONS; i++) {
        if (!ss->s[i].id[0]) {
            slot = &ss->s[i];
            break;
        }
        slot = ss->s[i].last_ms < slot->last_ms ? &ss->s[i] : slot;
    }
    for (size_t i = 0; i < sizeof(raw); i++) {
        snprintf(slot->id + 2 * i, 3, "%02x", raw[i]);
    }
    slot->last_ms = now;
    memcpy(out, slot->id, SESSION_ID_LEN + 1);
    return 0;
}

/* /api/session: GET says whether signing in is needed and done; POST
 * {"token": ...} signs in; DELETE signs out. Answered whatever the
 * request's own authorization. */
void session_route(struct control *ctl, struct conn *c,
                   const struct request *rq, const char *token,
                   struct sessions *ss, const char *cookie, struct vlog *log)
{
    int64_t now = vt_wall_ms();
    if (rq->method == HTTP_GET) {
        bool in = !token || sessions_check(ss, cookie, now);
        conn_send_json(c, 200, json_pack("{s:b, s:b}", "required", !!token,
                                         "signed_in", in));
        return;
    }
    if (rq->method == HTTP_DELETE) {
        struct session *s = find(ss, cookie, now);
        if (s) {
            s->id[0] = 0;
        }
        conn_send_headers(c, 200, "application/json",
                          "Set-Cookie: " COOKIE "=; Path=/; HttpOnly; "
                          "SameSite=Strict; Max-Age=0\r\n",
                          xstrdup("{\"ok\": true}"), 12);
        return;
    }
    if (rq->method != HTTP_POST) {
        conn_send_error(c, 405, "method not allowed");
        return;
    }
    json_error_t jerr;
    json_t *body = rq->body_len ? json_loadb(rq->body, rq->body_len, 0, &jerr)
                                : NULL;
    const char *given = json_string_value(json_object_get(body, "token"));
    if (token && (!given || !session_token_equal(given, token))) {
        json_decref(body);
        VLOG_WARN(log, "sign-in refused (%s token)", given ? "wrong" : "no");
        conn_send_error(c, 401, "that is not the wall's token");
        return;
    }
    json_decref(body);
    char id[SESSION_ID_LEN + 1], head[256];
    if (!token) {
        conn_send_json(c, 200, json_pack("{s:b}", "ok", 1));
        return;
    }
    if (open_session(ss, now, id) < 0) {
        conn_send_error(c, 503, "no randomness for a session");
        return;
    }
    /* a browser-session cookie: a kiosk keeps its browser running; the
     * server forgets a session unused for a week */
    snprintf(head, sizeof(head),
             "Set-Cookie: " COOKIE "=%s; Path=/; HttpOnly; SameSite=Strict"
             "\r\n",
             id);
    VLOG_INFO(log, "an operator signed in");
    conn_send_headers(c, 200, "application/json", head,
                      xstrdup("{\"ok\": true}"), 12);
}
