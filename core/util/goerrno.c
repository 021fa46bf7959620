/* core/util/goerrno.c — errno texts in Go's wording (goerrno.h). */
#include "util/goerrno.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

const char *go_errno_text(int e, char *buf, size_t cap)
{
    if (cap == 0)
        return buf;
    snprintf(buf, cap, "%s", strerror(e));
    buf[0] = (char)tolower((unsigned char)buf[0]);
    return buf;
}
