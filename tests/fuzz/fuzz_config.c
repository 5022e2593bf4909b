/* The config loader: YAML text to a config or errors with
 * file:line:column, never a crash, a hang or a leak. */
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_quiet();
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = 0;
    struct cfg_errors errs = { 0 };
    struct config *c = config_load("fuzz.yaml", text, LAYOUTS_DIR, &errs);
    if (c && errs.n) {
        abort(); /* a config comes with no errors, or none comes */
    }
    if (!c && !errs.n) {
        abort(); /* refused, but nothing says why */
    }
    config_unref(c);
    cfg_errors_finish(&errs);
    free(text);
    return 0;
}
