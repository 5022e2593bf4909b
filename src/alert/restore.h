/* Restoring the open alerts from the journal at start (restore.c).
 * Private to src/alert. */
#ifndef VIGIL_ALERT_RESTORE_H
#define VIGIL_ALERT_RESTORE_H

#include <jansson.h>

#include "alert/lifecycle.h"

struct config;
struct journal;

/* The alerts open at the journal's end (not closed), in the order they
 * were raised: *out (malloc'd) and how many; *last_id the highest id
 * number issued. */
int restore_open_alerts(struct journal *j, const struct config *cfg,
                        struct alert **out, unsigned *last_id);

/* Open alerts as the checkpoint keeps them (a new JSON array). */
json_t *restore_checkpoint_json(const struct alert *list, int n,
                                const struct config *cfg);

#endif
