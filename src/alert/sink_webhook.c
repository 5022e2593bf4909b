/*
 * Webhook sink: each event's JSON POSTed to a URL with libcurl, from a
 * thread of its own (blocking HTTP never runs on the loop). Events are
 * delivered in order; a failed POST is retried with exponential backoff
 * (1 s doubling to 60 s) until the receiver answers 2xx. The FIFO is
 * bounded; the journal keeps whatever it has to drop.
 *
 * `lock` protects the queue and `stop`; `cond` wakes the thread for new
 * events and for shutdown (also during a backoff wait).
 */
#include <pthread.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "alert/sink.h"
#include "util/backoff.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/msgq.h"
#include "util/time.h"
#include "util/url.h"

#define MAX_QUEUE 10000

struct webhook_sink {
    struct alert_sink base;
    struct vlog *log;
    char *url;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    /* protected by lock */
    struct msgq queue;
    bool stop;
    unsigned long dropped;    /* events the receiver refused */
};

static size_t discard(char *p, size_t size, size_t n, void *ud)
{
    return size * n;
}

enum post_result { POST_OK, POST_RETRY, POST_REFUSED };

static enum post_result post(struct webhook_sink *w, CURL *curl,
                             const char *payload)
{
    struct curl_slist *hdr =
        curl_slist_append(NULL, "Content-Type: application/json");
    curl_easy_setopt(curl, CURLOPT_URL, w->url);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, payload);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 5000L);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 3000L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard);
    CURLcode rc = curl_easy_perform(curl);
    long code = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
    curl_slist_free_all(hdr);
    if (rc != CURLE_OK) {
        VLOG_DEBUG(w->log, "POST failed: %s", curl_easy_strerror(rc));
        return POST_RETRY;
    }
    if (code >= 200 && code <= 299) {
        return POST_OK;
    }
    VLOG_DEBUG(w->log, "POST answered %ld", code);
    /* a receiver that is busy or failing may take it later; one that
     * refuses this event (bad request, gone, unauthorized) will not */
    return code >= 400 && code < 500 && code != 408 && code != 429
               ? POST_REFUSED
               : POST_RETRY;
}

static void *worker(void *arg)
{
    struct webhook_sink *w = arg;
    vt_thread_name("webhook");
    CURL *curl = curl_easy_init();
    struct backoff bo;
    backoff_init(&bo, VT_S, 60 * VT_S, (uint64_t)vt_mono_ns());
    int failures = 0, refusals = 0;
    pthread_mutex_lock(&w->lock);
    while (!w->stop) {
        if (!msgq_head(&w->queue)) {
            pthread_cond_wait(&w->cond, &w->lock);
            continue;
        }
        char *payload = xstrdup(msgq_head(&w->queue));
        pthread_mutex_unlock(&w->lock);
        enum post_result r = curl ? post(w, curl, payload) : POST_RETRY;
        free(payload);
        pthread_mutex_lock(&w->lock);
        refusals = r == POST_REFUSED ? refusals + 1 : 0;
        if (refusals >= WEBHOOK_REFUSALS) {
            VLOG_WARN(w->log, "the receiver refused an event %d times: "
                              "dropped (%lu so far; the journal has it)",
                      refusals, w->dropped + 1);
            w->dropped++;
            refusals = 0;
            r = POST_OK; /* gone from the queue */
        }
        if (r == POST_OK) {
            msgq_pop(&w->queue);
            backoff_reset(&bo);
            if (failures) {
                VLOG_INFO(w->log, "receiver answers again");
            }
            failures = 0;
            continue;
        }
        if (failures++ == 0) {
            VLOG_WARN(w->log, "receiver not answering; retrying with "
                              "backoff (%d waiting)", w->queue.count);
        }
        int64_t until = vt_mono_ns() + backoff_next(&bo);
        while (!w->stop &&
               vt_cond_wait_until(&w->cond, &w->lock, until) == 0) {
            /* woken by a new event: keep waiting out the backoff */
        }
    }
    pthread_mutex_unlock(&w->lock);
    curl_easy_cleanup(curl);
    return NULL;
}

static void webhook_event(struct alert_sink *s, json_t *line,
                          const struct alert *a, const char *event,
                          const char *camera_id,
                       const char *camera_name)
{
    struct webhook_sink *w = (struct webhook_sink *)s;
    char *payload = json_dumps(line, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (!payload) {
        return;
    }
    pthread_mutex_lock(&w->lock);
    if (msgq_push(&w->queue, payload)) {
        pthread_cond_signal(&w->cond);
    }
    pthread_mutex_unlock(&w->lock);
}

static unsigned long webhook_dropped(struct alert_sink *s)
{
    struct webhook_sink *w = (struct webhook_sink *)s;
    pthread_mutex_lock(&w->lock);
    unsigned long n = w->dropped;
    pthread_mutex_unlock(&w->lock);
    return n;
}

static int webhook_pending(struct alert_sink *s)
{
    struct webhook_sink *w = (struct webhook_sink *)s;
    pthread_mutex_lock(&w->lock);
    int n = w->queue.count;
    pthread_mutex_unlock(&w->lock);
    return n;
}

static void webhook_destroy(struct alert_sink *s)
{
    struct webhook_sink *w = (struct webhook_sink *)s;
    pthread_mutex_lock(&w->lock);
    w->stop = true;
    pthread_cond_broadcast(&w->cond);
    pthread_mutex_unlock(&w->lock);
    pthread_join(w->thread, NULL);
    msgq_finish(&w->queue);
    pthread_cond_destroy(&w->cond);
    pthread_mutex_destroy(&w->lock);
    free(w->url);
    vlog_destroy(w->log);
    free(w);
}

static void lib_init(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

struct alert_sink *sink_webhook_create(const char *url)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, lib_init);
    struct webhook_sink *w = xzalloc(sizeof(*w));
    w->base = (struct alert_sink){ .name = "webhook", .event = webhook_event,
                                   .pending = webhook_pending,
                                   .dropped = webhook_dropped,
                                   .destroy = webhook_destroy };
    w->log = vlog_create(NULL, "alert/webhook");
    w->url = xstrdup(url);
    pthread_mutex_init(&w->lock, NULL);
    msgq_init(&w->queue, MAX_QUEUE);
    vt_cond_init_mono(&w->cond);
    if (pthread_create(&w->thread, NULL, worker, w) != 0) {
        VLOG_ERR(w->log, "cannot start the webhook thread");
        free(w->url);
        vlog_destroy(w->log);
        free(w);
        return NULL;
    }
    char shown[512];
    url_redact(url, shown, sizeof(shown));
    VLOG_INFO(w->log, "posting events to %s", shown);
    return &w->base;
}
