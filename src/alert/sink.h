/*
 * Alert sinks: where alert events go after the journal has them (the
 * journal is written and synced first, so an event a sink saw is never
 * missing from it). Every sink is created and fed on the loop thread;
 * sinks that block (network) do so on threads of their own.
 */
#ifndef VIGIL_ALERT_SINK_H
#define VIGIL_ALERT_SINK_H

#include <stdbool.h>

#include <jansson.h>
#include <uv.h>

struct alert;

struct alert_sink {
    const char *name;
    void *priv;
    /* One journal event (the exact JSON line), with the alert it concerns
     * (NULL for wall events such as plan_changed). */
    void (*event)(struct alert_sink *s, json_t *line, const struct alert *a,
                  const char *event, const char *camera_id,
                  const char *camera_name);
    /* A camera went online/offline (for retained status). May be NULL. */
    void (*camera_status)(struct alert_sink *s, const char *camera_id,
                          bool online);
    /* Events waiting for delivery (for status and metrics). */
    int (*pending)(struct alert_sink *s);
    /* Events given up on (a receiver that refuses them); may be NULL. */
    unsigned long (*dropped)(struct alert_sink *s);
    void (*destroy)(struct alert_sink *s);
};

/* MQTT (libmosquitto): events on <topic>/alerts at QoS 1, in order, held
 * while the broker is away; <topic>/camera/<id>/status retained
 * online|offline; <topic>/availability retained, "offline" as last will.
 * url: mqtt://host[:port]; username and password may be NULL. */
struct alert_sink *sink_mqtt_create(const char *url, const char *topic,
                                    const char *wall, const char *username,
                                    const char *password);

/* HTTP POST of each event's JSON (libcurl), in order, retried with backoff
 * while the receiver is away or failing (no answer, 5xx, 408, 429); an
 * event it refuses (another 4xx) is tried WEBHOOK_REFUSALS times, then
 * logged, counted and dropped, so the queue behind it moves. */
#define WEBHOOK_REFUSALS 3
struct alert_sink *sink_webhook_create(const char *url);

/* Run argv (no shell) for each alert event with {camera} (id), {name},
 * {state} (the event), {alert}, {condition} substituted inside arguments;
 * killed after timeout_ms. */
struct alert_sink *sink_exec_create(uv_loop_t *loop, char *const *argv,
                                    int argc, int timeout_ms);
/* A new command (argc 0: none, nothing runs) and timeout for the events
 * from now on; runs already queued keep theirs. */
void sink_exec_set_command(struct alert_sink *s, char *const *argv, int argc,
                           int timeout_ms);
/* The command's argument count (0: none). */
int sink_exec_argc(const struct alert_sink *s);

#endif
