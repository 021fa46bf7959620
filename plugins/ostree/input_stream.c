/* plugins/ostree/input_stream.c — a GInputStream over a pull callback, so
 * that libostree can read a layer entry's data (or a config blob) straight
 * from ferry's stream into a content object: nothing is staged on disk and
 * memory stays at one read buffer. A failed pull keeps its ferry status for
 * the caller, whose ctx already holds the message. */
#include "ostree_transport.h"

typedef struct OtInputStream {
    GInputStream parent;
    ot_pull_fn pull;
    void *opaque;
    ferry_ctx *ctx;
    int *status;
} OtInputStream;

typedef struct OtInputStreamClass {
    GInputStreamClass parent_class;
} OtInputStreamClass;

static GType ot_input_stream_get_type(void);
G_DEFINE_TYPE(OtInputStream, ot_input_stream, G_TYPE_INPUT_STREAM)

static gssize ot_input_stream_read(GInputStream *stream, void *buffer, gsize count, GCancellable *cancellable,
                                   GError **error)
{
    (void)cancellable;
    OtInputStream *self = (OtInputStream *)stream;
    size_t n = 0;
    int rc = self->pull(self->opaque, self->ctx, buffer, count, &n);
    if (rc != FERRY_OK) {
        *self->status = rc;
        g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_FAILED, "reading the layer stream failed");
        return -1;
    }
    return (gssize)n;
}

static gboolean ot_input_stream_close(GInputStream *stream, GCancellable *cancellable, GError **error)
{
    (void)stream;
    (void)cancellable;
    (void)error;
    return TRUE;
}

static void ot_input_stream_class_init(OtInputStreamClass *klass)
{
    GInputStreamClass *stream_class = G_INPUT_STREAM_CLASS(klass);
    stream_class->read_fn = ot_input_stream_read;
    stream_class->close_fn = ot_input_stream_close;
}

static void ot_input_stream_init(OtInputStream *self)
{
    (void)self;
}

GInputStream *ot_input_stream_new(ot_pull_fn pull, void *opaque, ferry_ctx *ctx, int *status)
{
    OtInputStream *self = g_object_new(ot_input_stream_get_type(), NULL);
    self->pull = pull;
    self->opaque = opaque;
    self->ctx = ctx;
    self->status = status;
    return G_INPUT_STREAM(self);
}
