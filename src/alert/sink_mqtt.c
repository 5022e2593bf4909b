/*
 * MQTT sink (libmosquitto, threaded client). Alert events go out on
 * <topic>/alerts at QoS 1 strictly in order: one message in flight, the
 * next sent when the broker acknowledges it. While the broker is away they
 * wait in a bounded FIFO and go out, in order, when it returns. Camera
 * status (<topic>/camera/<id>/status) and wall availability
 * (<topic>/availability, last will "offline") are retained and re-sent on
 * every connect.
 *
 * Threads: event()/camera_status() on the loop thread; the callbacks on
 * libmosquitto's network thread. `lock` protects everything below it; it
 * is held across mosquitto_publish (libmosquitto never calls back under
 * its own locks, so this cannot deadlock) so that an acknowledgement can
 * never be matched before its message id is recorded.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <mosquitto.h>

#include "alert/sink.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/msgq.h"

#define MAX_QUEUE 100000
#define MAX_CAMS 4096

struct cam_status {
    char *id;
    bool online;
};

struct mqtt_sink {
    struct alert_sink base;
    struct vlog *log;
    struct mosquitto *mosq;
    char *topic;
    char *alerts_topic;
    char *avail_topic;

    pthread_mutex_t lock;
    /* protected by lock */
    bool connected;
    struct msgq queue;      /* events waiting, oldest first */
    bool inflight;
    int inflight_mid;
    struct cam_status *cams;
    int n_cams;
    size_t cap_cams;
};

static void publish_raw(struct mqtt_sink *m, const char *topic,
                        const char *payload, int qos, bool retain, int *mid)
{
    int rc = mosquitto_publish(m->mosq, mid, topic, (int)strlen(payload),
                               payload, qos, retain);
    if (rc != MOSQ_ERR_SUCCESS && rc != MOSQ_ERR_NO_CONN) {
        VLOG_WARN(m->log, "publish: %s", mosquitto_strerror(rc));
    }
}

/* Under lock: put the head of the queue on the wire if nothing is in
 * flight. */
static void send_head(struct mqtt_sink *m)
{
    const char *head = msgq_head(&m->queue);
    if (!m->connected || m->inflight || !head) {
        return;
    }
    int mid = 0;
    int rc = mosquitto_publish(m->mosq, &mid, m->alerts_topic,
                               (int)strlen(head), head, 1, false);
    if (rc == MOSQ_ERR_SUCCESS) {
        m->inflight = true;
        m->inflight_mid = mid;
    }
}

static char *status_topic(struct mqtt_sink *m, const char *cam)
{
    return xasprintf("%s/camera/%s/status", m->topic, cam);
}

static void on_connect(struct mosquitto *mosq, void *obj, int rc)
{
    struct mqtt_sink *m = obj;
    if (rc != 0) {
        VLOG_WARN(m->log, "broker refused the connection: %s",
                  mosquitto_connack_string(rc));
        return;
    }
    VLOG_INFO(m->log, "connected to the broker");
    pthread_mutex_lock(&m->lock);
    m->connected = true;
    publish_raw(m, m->avail_topic, "online", 1, true, NULL);
    for (int i = 0; i < m->n_cams; i++) {
        char *t = status_topic(m, m->cams[i].id);
        publish_raw(m, t, m->cams[i].online ? "online" : "offline", 1, true,
                    NULL);
        free(t);
    }
    /* Whatever was in flight when the link broke goes again (QoS 1 is at
     * least once: a duplicate is possible, a loss is not). */
    m->inflight = false;
    send_head(m);
    pthread_mutex_unlock(&m->lock);
}

static void on_disconnect(struct mosquitto *mosq, void *obj, int rc)
{
    struct mqtt_sink *m = obj;
    pthread_mutex_lock(&m->lock);
    m->connected = false;
    pthread_mutex_unlock(&m->lock);
    if (rc != 0) {
        VLOG_WARN(m->log, "lost the broker; %d event(s) will wait for it",
                  m->queue.count);
    }
}

static void on_publish(struct mosquitto *mosq, void *obj, int mid)
{
    struct mqtt_sink *m = obj;
    pthread_mutex_lock(&m->lock);
    if (m->inflight && mid == m->inflight_mid) {
        msgq_pop(&m->queue);
        m->inflight = false;
        send_head(m);
    }
    pthread_mutex_unlock(&m->lock);
}

static void mqtt_event(struct alert_sink *s, json_t *line,
                       const struct alert *a, const char *event,
                       const char *camera_id,
                       const char *camera_name)
{
    struct mqtt_sink *m = (struct mqtt_sink *)s;
    char *payload = json_dumps(line, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (!payload) {
        return;
    }
    pthread_mutex_lock(&m->lock);
    /* Full: the broker has been away too long; the journal still has it. */
    if (msgq_push(&m->queue, payload)) {
        send_head(m);
    }
    pthread_mutex_unlock(&m->lock);
}

static void mqtt_camera_status(struct alert_sink *s, const char *camera_id,
                               bool online)
{
    struct mqtt_sink *m = (struct mqtt_sink *)s;
    pthread_mutex_lock(&m->lock);
    struct cam_status *cs = NULL;
    for (int i = 0; i < m->n_cams; i++) {
        if (!strcmp(m->cams[i].id, camera_id)) {
            cs = &m->cams[i];
        }
    }
    if (!cs && m->n_cams < MAX_CAMS) {
        XGROW(m->cams, m->cap_cams, (size_t)m->n_cams + 1);
        cs = &m->cams[m->n_cams++];
        cs->id = xstrdup(camera_id);
    }
    if (cs) {
        cs->online = online;
        if (m->connected) {
            char *t = status_topic(m, camera_id);
            publish_raw(m, t, online ? "online" : "offline", 1, true, NULL);
            free(t);
        }
    }
    pthread_mutex_unlock(&m->lock);
}

static int mqtt_pending(struct alert_sink *s)
{
    struct mqtt_sink *m = (struct mqtt_sink *)s;
    pthread_mutex_lock(&m->lock);
    int n = m->queue.count;
    pthread_mutex_unlock(&m->lock);
    return n;
}

static void mqtt_destroy(struct alert_sink *s)
{
    struct mqtt_sink *m = (struct mqtt_sink *)s;
    pthread_mutex_lock(&m->lock);
    bool connected = m->connected;
    pthread_mutex_unlock(&m->lock);
    if (connected) {
        /* a clean goodbye: say offline ourselves (the will is only for
         * crashes) */
        publish_raw(m, m->avail_topic, "offline", 1, true, NULL);
    }
    /* The loop thread ends by itself once disconnected (woken if it waits
     * to reconnect): forcing it cancels the thread, maybe holding one of
     * libmosquitto's locks (ThreadSanitizer saw one destroyed locked). */
    mosquitto_disconnect(m->mosq);
    mosquitto_loop_stop(m->mosq, false);
    mosquitto_destroy(m->mosq);
    msgq_finish(&m->queue);
    for (int i = 0; i < m->n_cams; i++) {
        free(m->cams[i].id);
    }
    free(m->cams);
    free(m->topic);
    free(m->alerts_topic);
    free(m->avail_topic);
    pthread_mutex_destroy(&m->lock);
    vlog_destroy(m->log);
    free(m);
}

static void lib_init(void)
{
    mosquitto_lib_init();
}

struct alert_sink *sink_mqtt_create(const char *url, const char *topic,
                                    const char *wall, const char *username,
                                    const char *password)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, lib_init);
    struct vlog *log = vlog_create(NULL, "alert/mqtt");
    char host[256];
    int port = 1883;
    if (sscanf(url, "mqtt://%255[^:/]:%d", host, &port) < 1) {
        VLOG_ERR(log, "url must be mqtt://host[:port]");
        vlog_destroy(log);
        return NULL;
    }
    struct mqtt_sink *m = xzalloc(sizeof(*m));
    m->base = (struct alert_sink){ .name = "mqtt", .event = mqtt_event,
                                   .camera_status = mqtt_camera_status,
                                   .pending = mqtt_pending,
                                   .destroy = mqtt_destroy };
    m->log = log;
    m->topic = xstrdup(topic);
    m->alerts_topic = xasprintf("%s/alerts", topic);
    m->avail_topic = xasprintf("%s/availability", topic);
    pthread_mutex_init(&m->lock, NULL);
    msgq_init(&m->queue, MAX_QUEUE);
    char *id = xasprintf("vigil-%s", wall);
    /* A persistent session: what is in flight survives a reconnect. */
    m->mosq = mosquitto_new(id, false, m);
    free(id);
    if (!m->mosq) {
        VLOG_ERR(log, "cannot create an MQTT client");
        vlog_destroy(log);
        free(m->topic);
        free(m->alerts_topic);
        free(m->avail_topic);
        free(m);
        return NULL;
    }
    mosquitto_will_set(m->mosq, m->avail_topic, 7, "offline", 1, true);
    if (username) {
        mosquitto_username_pw_set(m->mosq, username, password);
    }
    mosquitto_connect_callback_set(m->mosq, on_connect);
    mosquitto_disconnect_callback_set(m->mosq, on_disconnect);
    mosquitto_publish_callback_set(m->mosq, on_publish);
    mosquitto_reconnect_delay_set(m->mosq, 1, 5, false);
    int rc = mosquitto_connect_async(m->mosq, host, port, 10);
    if (rc != MOSQ_ERR_SUCCESS) {
        /* not fatal: the network thread keeps trying */
        VLOG_WARN(log, "broker %s:%d not reachable yet: %s", host, port,
                  mosquitto_strerror(rc));
    }
    rc = mosquitto_loop_start(m->mosq);
    if (rc != MOSQ_ERR_SUCCESS) {
        VLOG_ERR(log, "cannot start the MQTT thread: %s",
                 mosquitto_strerror(rc));
    }
    VLOG_INFO(log, "publishing to %s:%d under %s/", host, port, topic);
    return &m->base;
}
