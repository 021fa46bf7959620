/* plugins/sif/deffile.c — the definition file object of a SIF (the
 * Singularity recipe it was built from) turned into the script that
 * containers/image injects into the layer as /podman/runscript and names
 * as the image's command: "#!/bin/bash", the non-empty, non-comment lines
 * of %environment, then every line of %runscript, each line trimmed of
 * Unicode white space as Go's strings.TrimSpace trims it. Lines are read
 * as Go's bufio.Scanner reads them: split at '\n', a '\r' before it
 * dropped, at most 64 KiB. The object is read through a fixed buffer; only
 * the two sections are kept. */
#include "sif.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shared/strbuf.h"

/* bufio.MaxScanTokenSize: a longer line is an error. */
#define SIF_DEF_MAX_LINE (64 * 1024)
/* What the two sections may hold together. */
#define SIF_DEF_MAX_SCRIPT (16 * 1024 * 1024)

/* Length of the Unicode white space (unicode.IsSpace) that starts p, 0 if none. */
static size_t sif_space_prefix(const unsigned char *p, size_t n)
{
    if (n >= 1 && (p[0] == ' ' || (p[0] >= '\t' && p[0] <= '\r')))
        return 1;
    if (n >= 2 && p[0] == 0xC2 && (p[1] == 0x85 || p[1] == 0xA0))
        return 2;
    if (n < 3)
        return 0;
    if ((p[0] == 0xE1 && p[1] == 0x9A && p[2] == 0x80) || (p[0] == 0xE3 && p[1] == 0x80 && p[2] == 0x80))
        return 3;
    if (p[0] == 0xE2 && p[1] == 0x80 && (p[2] <= 0x8A || p[2] == 0xA8 || p[2] == 0xA9 || p[2] == 0xAF) && p[2] >= 0x80)
        return 3;
    if (p[0] == 0xE2 && p[1] == 0x81 && p[2] == 0x9F)
        return 3;
    return 0;
}

/* Length of the Unicode white space rune that ends p[0..n), 0 if none. */
static size_t sif_space_suffix(const unsigned char *p, size_t n)
{
    for (size_t k = 1; k <= 3 && k <= n; k++)
        if (sif_space_prefix(p + n - k, k) == k)
            return k;
    return 0;
}

/* strings.TrimSpace in place: sets *start and returns the length. */
static size_t sif_trim(const unsigned char *line, size_t n, const unsigned char **start)
{
    size_t k;
    while (n > 0 && (k = sif_space_prefix(line, n)) > 0) {
        line += k;
        n -= k;
    }
    while (n > 0 && (k = sif_space_suffix(line, n)) > 0)
        n -= k;
    *start = line;
    return n;
}

typedef struct sif_def_parse {
    enum { SIF_DEF_OTHER, SIF_DEF_ENVIRONMENT, SIF_DEF_RUNSCRIPT } state;
    strbuf environment; /* lines joined by '\n' */
    strbuf runscript;
    size_t n_environment, n_runscript;
} sif_def_parse;

static void sif_def_line(sif_def_parse *p, const unsigned char *raw, size_t n)
{
    if (n > 0 && raw[n - 1] == '\r')
        n--;
    const unsigned char *s;
    n = sif_trim(raw, n, &s);
    if (n == 12 && memcmp(s, "%environment", 12) == 0) {
        p->state = SIF_DEF_ENVIRONMENT;
    } else if (n == 10 && memcmp(s, "%runscript", 10) == 0) {
        p->state = SIF_DEF_RUNSCRIPT;
    } else if (n > 0 && s[0] == '%') {
        p->state = SIF_DEF_OTHER;
    } else if (p->state == SIF_DEF_ENVIRONMENT) {
        if (n > 0 && s[0] != '#') {
            if (p->n_environment++ > 0)
                strbuf_append(&p->environment, "\n", 1);
            strbuf_append(&p->environment, s, n);
        }
    } else if (p->state == SIF_DEF_RUNSCRIPT) {
        if (p->n_runscript++ > 0)
            strbuf_append(&p->runscript, "\n", 1);
        strbuf_append(&p->runscript, s, n);
    }
}

int sif_deffile_script(const ferry_services *svc, ferry_ctx *ctx, const char *label, int fd, const sif_object *def,
                       char **script, size_t *len)
{
    *script = NULL;
    *len = 0;
    const char *what = "converting rootfs from SquashFS to Tarball: reading lines from SIF definition file object";
    sif_def_parse p = {SIF_DEF_OTHER, STRBUF_INIT, STRBUF_INIT, 0, 0};
    unsigned char *line = malloc(SIF_DEF_MAX_LINE);
    if (line == NULL)
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", label);
    size_t line_len = 0;
    int status = FERRY_OK;
    unsigned char buf[16384];
    /* A section reader stops at the end of the file, as Go's does. */
    uint64_t remaining = (int64_t)def->size < 0 ? 0 : def->size;
    uint64_t pos = def->offset;
    if (remaining > 0 && (int64_t)def->offset < 0)
        status = svc->set_error(ctx, FERRY_ERR_INVALID, "%s: %s: readat: negative offset", label, what);
    while (status == FERRY_OK && remaining > 0) {
        ssize_t n = pread(fd, buf, remaining < sizeof buf ? (size_t)remaining : sizeof buf, (off_t)pos);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            char err[128];
            status = svc->set_error(ctx, FERRY_ERR_IO, "%s: %s: %s", label, what,
                                    plugin_util_strerror(errno, err, sizeof err));
            break;
        }
        if (n == 0)
            break;
        pos += (uint64_t)n;
        remaining -= (uint64_t)n;
        for (ssize_t i = 0; i < n && status == FERRY_OK; i++) {
            if (buf[i] == '\n') {
                sif_def_line(&p, line, line_len);
                line_len = 0;
            } else if (line_len == SIF_DEF_MAX_LINE - 1) {
                status = svc->set_error(ctx, FERRY_ERR_INVALID, "%s: %s: bufio.Scanner: token too long", label, what);
            } else {
                line[line_len++] = buf[i];
            }
        }
        if (p.environment.len + p.runscript.len > SIF_DEF_MAX_SCRIPT)
            status = svc->set_error(ctx, FERRY_ERR_TOO_LARGE,
                                    "%s: %s: %%environment and %%runscript are larger than 16 MiB", label, what);
    }
    if (status == FERRY_OK && line_len > 0)
        sif_def_line(&p, line, line_len);
    free(line);

    strbuf out = STRBUF_INIT;
    if (status == FERRY_OK && (p.n_environment > 0 || p.n_runscript > 0)) {
        strbuf_puts(&out, "#!/bin/bash\n");
        strbuf_append(&out, p.environment.data != NULL ? p.environment.data : "", p.environment.len);
        strbuf_puts(&out, "\n");
        strbuf_append(&out, p.runscript.data != NULL ? p.runscript.data : "", p.runscript.len);
        strbuf_puts(&out, "\n");
        if (p.environment.failed || p.runscript.failed || out.failed)
            status = svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", label);
        else
            *script = strbuf_detach(&out, len);
    }
    strbuf_release(&out);
    strbuf_release(&p.environment);
    strbuf_release(&p.runscript);
    return status;
}
