/* plugins/containers-storage/cs_drivers.h — what overlay.c and vfs.c share
 * (drivers.c): their ops tables for cs_driver_find, and the checks and
 * removal both drivers do the same way. Private to the graph drivers. */
#ifndef FERRY_PLUGIN_CS_DRIVERS_H
#define FERRY_PLUGIN_CS_DRIVERS_H

#include "cs.h"

extern const cs_driver_ops cs_overlay_ops, cs_vfs_ops;

/* FERRY_OK when id is a layer ID that can name a directory (64 characters,
 * no '/'); else FERRY_ERR_INVALID, reported when svc is not NULL. */
int cs_driver_check_id(const ferry_services *svc, ferry_ctx *ctx, const char *id);

/* Removes GRAPHROOT/DIR/ID recursively (missing is fine) after checking id.
 * The top may be 0555: a non-root caller gives itself write access first.
 * svc NULL: a cleanup whose errors are not reported (the status still is
 * returned). */
int cs_driver_remove_dir(const ferry_services *svc, ferry_ctx *ctx, const cs_store *st, const char *dir,
                         const char *id);

#endif /* FERRY_PLUGIN_CS_DRIVERS_H */
