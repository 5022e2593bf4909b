#include <string.h>

#include "vigil/vigil.h"

const char *vigil_strerror(int err)
{
    switch (err) {
    case 0:
        return "success";
#define VIGIL_ERR_CASE(name, val, msg) \
    case val:                          \
        return msg;
        VIGIL_ERRNO_MAP(VIGIL_ERR_CASE)
#undef VIGIL_ERR_CASE
    default:
        break;
    }
    if (err < 0 && err > -4096) {
        return strerror(-err);
    }
    return "unknown error";
}
