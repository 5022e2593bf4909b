/* Each public header must compile on its own, in strict C99. */
#include "vigil/vigil.h"

int main(void)
{
    struct vigil_settings s;
    (void)s;
    return VIGIL_ECONFIG < 0 ? 0 : 1;
}
