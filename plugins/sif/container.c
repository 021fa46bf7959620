/* plugins/sif/container.c — the SIF container format as sylabs/sif v2.8
 * (containers/image v5.23.1's library) reads it: a 128-byte global header
 * (launch script, "SIF_MAGIC", spec version "01", architecture code, UUID,
 * times, descriptor table and data section bounds), then a table of
 * 585-byte descriptors, each naming a data object (type, used flag, IDs,
 * offset and size in the file, times, name, type-specific "extra" bytes;
 * for a partition its file system type, partition type and architecture).
 * All integers are little endian and the fields packed without padding.
 *
 * The lookups are containers/image's: the definition file is used when
 * exactly one used descriptor has that type (otherwise silently none), the
 * root file system is the one used partition of type "primary system"
 * (none or several is an error), and an image whose descriptors are all
 * free has "no objects". Errors keep containers/image's wording. */
#include "sif.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SIF_HEADER_SIZE 128
#define SIF_DESCRIPTOR_SIZE 585
#define SIF_DESCRIPTOR_BATCH 64

/* Data object types and partition types of the sylabs/sif format. */
#define SIF_DATA_DEFFILE 0x4001
#define SIF_DATA_PARTITION 0x4004
#define SIF_PART_PRIMSYS 2

/* Where the header's and a descriptor's fields lie. */
enum {
    SIF_HDR_MAGIC = 32,
    SIF_HDR_VERSION = 42,
    SIF_HDR_ARCH = 45,
    SIF_HDR_UUID = 48,
    SIF_HDR_MODIFIED = 72,
    SIF_HDR_DESCR_FREE = 80,
    SIF_HDR_DESCR_TOTAL = 88,
    SIF_HDR_DESCR_OFFSET = 96,
    SIF_HDR_DESCR_SIZE = 104,
    SIF_DESC_TYPE = 0,
    SIF_DESC_USED = 4,
    SIF_DESC_OFFSET = 17,
    SIF_DESC_SIZE = 25,
    SIF_DESC_EXTRA = 201,
};

/* The header's architecture codes and the Go names sif's GoArch gives them. */
static const char *const sif_arch_names[] = {
    NULL,     "386",  "amd64",  "arm",      "arm64", "ppc64", "ppc64le",
    "mips",   "mipsle", "mips64", "mips64le", "s390x", "riscv64",
};

static uint64_t sif_le64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static int32_t sif_le32(const unsigned char *p)
{
    return (int32_t)((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);
}

/* pread until len bytes or end of file; *got is the count. -1 with errno. */
static int sif_pread_full(int fd, void *buf, size_t len, uint64_t offset, size_t *got)
{
    *got = 0;
    while (*got < len) {
        ssize_t n = pread(fd, (char *)buf + *got, len - *got, (off_t)(offset + *got));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0)
            break;
        *got += (size_t)n;
    }
    return 0;
}

/* What Go's binary.Read says of a short read: "EOF" when nothing was
 * there, "unexpected EOF" when part of it was. */
static const char *sif_eof_word(size_t got)
{
    return got == 0 ? "EOF" : "unexpected EOF";
}

static void sif_arch_name(const unsigned char *code, char *out, size_t cap)
{
    const char *name = "unknown";
    if (code[0] >= '0' && code[0] <= '9' && code[1] >= '0' && code[1] <= '9' && code[2] == '\0') {
        unsigned n = (unsigned)(code[0] - '0') * 10 + (unsigned)(code[1] - '0');
        if (n < sizeof sif_arch_names / sizeof sif_arch_names[0] && sif_arch_names[n] != NULL)
            name = sif_arch_names[n];
    }
    snprintf(out, cap, "%s", name);
}

static void sif_uuid_string(const unsigned char *id, char *out)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[o++] = '-';
        out[o++] = hex[id[i] >> 4];
        out[o++] = hex[id[i] & 15];
    }
    out[o] = '\0';
}

typedef struct sif_scan {
    int def_count, rootfs_count;
    sif_container *c;
} sif_scan;

static void sif_scan_descriptor(sif_scan *scan, const unsigned char *d)
{
    if (d[SIF_DESC_USED] == 0)
        return;
    int32_t type = sif_le32(d + SIF_DESC_TYPE);
    sif_object obj = {sif_le64(d + SIF_DESC_OFFSET), sif_le64(d + SIF_DESC_SIZE)};
    if (type == SIF_DATA_DEFFILE) {
        scan->def_count++;
        scan->c->deffile = obj;
    } else if (type == SIF_DATA_PARTITION && sif_le32(d + SIF_DESC_EXTRA + 4) == SIF_PART_PRIMSYS) {
        scan->rootfs_count++;
        scan->c->rootfs = obj;
    }
}

static int sif_read_descriptors(const ferry_services *svc, ferry_ctx *ctx, const char *label, const char *path,
                                int fd, const unsigned char *hdr, sif_scan *scan)
{
    int64_t total = (int64_t)sif_le64(hdr + SIF_HDR_DESCR_TOTAL);
    int64_t offset = (int64_t)sif_le64(hdr + SIF_HDR_DESCR_OFFSET);
    int64_t size = (int64_t)sif_le64(hdr + SIF_HDR_DESCR_SIZE);
    if (total < 0 || (uint64_t)total > UINT64_MAX / SIF_DESCRIPTOR_SIZE)
        return svc->set_error(ctx, FERRY_ERR_INVALID,
                              "%s: loading SIF file: reading descriptors: invalid descriptor count %lld", label,
                              (long long)total);
    if (total > 0 && offset < 0)
        return svc->set_error(ctx, FERRY_ERR_INVALID, "%s: loading SIF file: reading descriptors: readat %s: negative offset",
                              label, path);
    /* The table is read from the section [offset, offset + size). */
    uint64_t need = (uint64_t)total * SIF_DESCRIPTOR_SIZE;
    uint64_t section = size < 0 ? 0 : (uint64_t)size;
    unsigned char batch[SIF_DESCRIPTOR_BATCH * SIF_DESCRIPTOR_SIZE];
    for (uint64_t done = 0; done < need;) {
        size_t want = need - done < sizeof batch ? (size_t)(need - done) : sizeof batch;
        size_t allowed = section > done ? (section - done < want ? (size_t)(section - done) : want) : 0;
        size_t got = 0;
        if (allowed > 0 && sif_pread_full(fd, batch, allowed, (uint64_t)offset + done, &got) != 0) {
            char err[128];
            return svc->set_error(ctx, FERRY_ERR_IO, "%s: loading SIF file: reading descriptors: read %s: %s", label,
                                  path, plugin_util_strerror(errno, err, sizeof err));
        }
        if (got < want)
            return svc->set_error(ctx, FERRY_ERR_INVALID, "%s: loading SIF file: reading descriptors: %s", label,
                                  sif_eof_word((size_t)(done + got)));
        for (size_t i = 0; i < want; i += SIF_DESCRIPTOR_SIZE)
            sif_scan_descriptor(scan, batch + i);
        done += want;
    }
    return FERRY_OK;
}

int sif_container_load(const ferry_services *svc, ferry_ctx *ctx, const char *label, const char *path, int fd,
                       sif_container *out)
{
    memset(out, 0, sizeof *out);
    char err[128];
    struct stat st;
    if (fstat(fd, &st) != 0)
        return svc->set_error(ctx, FERRY_ERR_IO, "%s: loading SIF file: stat %s: %s", label, path,
                              plugin_util_strerror(errno, err, sizeof err));
    out->file_size = (uint64_t)st.st_size;

    unsigned char hdr[SIF_HEADER_SIZE];
    size_t got = 0;
    if (sif_pread_full(fd, hdr, sizeof hdr, 0, &got) != 0)
        return svc->set_error(ctx, FERRY_ERR_IO, "%s: loading SIF file: reading global header: read %s: %s", label,
                              path, plugin_util_strerror(errno, err, sizeof err));
    if (got < sizeof hdr)
        return svc->set_error(ctx, FERRY_ERR_INVALID,
                              "%s: loading SIF file: reading global header: %s (%zu bytes, not a SIF file)", label,
                              sif_eof_word(got), got);
    if (memcmp(hdr + SIF_HDR_MAGIC, "SIF_MAGIC", 10) != 0)
        return svc->set_error(ctx, FERRY_ERR_INVALID, "%s: loading SIF file: invalid SIF magic", label);
    if (memcmp(hdr + SIF_HDR_VERSION, "01", 3) != 0)
        return svc->set_error(ctx, FERRY_ERR_INVALID, "%s: loading SIF file: incompatible SIF version", label);
    sif_arch_name(hdr + SIF_HDR_ARCH, out->arch, sizeof out->arch);
    sif_uuid_string(hdr + SIF_HDR_UUID, out->uuid);
    out->modified = (int64_t)sif_le64(hdr + SIF_HDR_MODIFIED);

    sif_scan scan = {0, 0, out};
    int status = sif_read_descriptors(svc, ctx, label, path, fd, hdr, &scan);
    if (status != FERRY_OK)
        return status;
    if (sif_le64(hdr + SIF_HDR_DESCR_FREE) == sif_le64(hdr + SIF_HDR_DESCR_TOTAL))
        out->rootfs_lookup = SIF_ROOTFS_NO_OBJECTS;
    else if (scan.rootfs_count != 1)
        out->rootfs_lookup = scan.rootfs_count == 0 ? SIF_ROOTFS_NOT_FOUND : SIF_ROOTFS_MULTIPLE;
    out->has_deffile = out->rootfs_lookup != SIF_ROOTFS_NO_OBJECTS && scan.def_count == 1;
    return FERRY_OK;
}

int sif_container_check_rootfs(const ferry_services *svc, ferry_ctx *ctx, const char *label, const char *path,
                               const sif_container *c)
{
    static const char *const lookup_errors[] = {
        [SIF_ROOTFS_NO_OBJECTS] = "no objects in image",
        [SIF_ROOTFS_NOT_FOUND] = "object not found",
        [SIF_ROOTFS_MULTIPLE] = "multiple objects found",
    };
    const char *what = "converting rootfs from SquashFS to Tarball";
    if (c->rootfs_lookup != SIF_ROOTFS_FOUND)
        return svc->set_error(ctx, FERRY_ERR_INVALID, "%s: %s: looking up rootfs from SIF file: %s", label, what,
                              lookup_errors[c->rootfs_lookup]);
    if ((int64_t)c->rootfs.offset < 0)
        return svc->set_error(ctx, FERRY_ERR_INVALID, "%s: %s: readat %s: negative offset", label, what, path);
    if (c->rootfs.offset > c->file_size || c->rootfs.size > c->file_size - c->rootfs.offset)
        return svc->set_error(ctx, FERRY_ERR_INVALID,
                              "%s: %s: EOF (truncated file: the primary system partition, %llu bytes at byte %llu, "
                              "passes the end of the file, %llu bytes)",
                              label, what, (unsigned long long)c->rootfs.size, (unsigned long long)c->rootfs.offset,
                              (unsigned long long)c->file_size);
    return FERRY_OK;
}
