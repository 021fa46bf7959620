/* core/util/goerrno.h — an errno as Go's syscall.Errno prints it ("no
 * such file or directory": strerror's text, first letter lower-case), for
 * the "open PATH: ..." messages skopeo users see from containers/image. */
#ifndef FERRY_CORE_GOERRNO_H
#define FERRY_CORE_GOERRNO_H

#include <stddef.h>

/* Writes the text into buf (cap bytes) and returns buf. */
const char *go_errno_text(int e, char *buf, size_t cap);

#endif
