#include "vigil/common.h"

int main(void)
{
    return 0;
}
